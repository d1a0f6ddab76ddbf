import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The example feature's timeline: one line per event of a subscription, numbered in the order the
 * events were received, with the running total returned to the customer after each line.
 */
export class SubscriptionTimeline1764492100000 implements MigrationInterface {
  name = 'SubscriptionTimeline1764492100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE subscription_timeline (
        event_id        uuid        PRIMARY KEY,
        subscription_id text        NOT NULL,
        entry_no        int         NOT NULL,
        type            text        NOT NULL,
        amount          bigint      NOT NULL,
        returned_total  bigint      NOT NULL,
        occurred_at     timestamptz,
        CONSTRAINT uq_subscription_timeline_entry UNIQUE (subscription_id, entry_no)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE subscription_timeline`);
  }
}
