import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the relay last put an event on the dispatch queue. It lets the relay tell a dispatch job
 * that is merely waiting from one that Redis lost (an event still `queued`, with no delivery
 * planned, long after it was queued). NULL for events queued by ingestion: received_at stands in.
 */
export class EventQueuedAt1764490500000 implements MigrationInterface {
  name = 'EventQueuedAt1764490500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_events ADD COLUMN queued_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_events DROP COLUMN queued_at`);
  }
}
