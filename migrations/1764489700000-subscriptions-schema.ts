import { MigrationInterface, QueryRunner } from 'typeorm';

/** The example feature's tables (src/subscriptions). Refunds and chargebacks may arrive before their subscription. */
export class SubscriptionsSchema1764489700000 implements MigrationInterface {
  name = 'SubscriptionsSchema1764489700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE subscriptions (
        subscription_id      text        PRIMARY KEY,
        user_id              text        NOT NULL,
        email                text        NOT NULL,
        plan_id              text        NOT NULL,
        plan_name            text        NOT NULL,
        amount               bigint      NOT NULL,
        currency             char(3)     NOT NULL,
        interval             text        NOT NULL,
        status               text        NOT NULL,
        current_period_start timestamptz NOT NULL,
        current_period_end   timestamptz NOT NULL,
        refunded_amount      bigint      NOT NULL DEFAULT 0,
        charged_back_amount  bigint      NOT NULL DEFAULT 0,
        created_by_event     uuid        NOT NULL,
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX ix_subscriptions_user ON subscriptions (user_id)`);
    await db.query(`
      CREATE TABLE subscription_refunds (
        refund_id       text        PRIMARY KEY,
        subscription_id text        NOT NULL,
        user_id         text        NOT NULL,
        payment_id      text        NOT NULL,
        amount          bigint      NOT NULL,
        currency        char(3)     NOT NULL,
        reason          text        NOT NULL,
        refunded_at     timestamptz NOT NULL,
        event_id        uuid        NOT NULL
      )`);
    await db.query(`CREATE INDEX ix_subscription_refunds_subscription ON subscription_refunds (subscription_id)`);
    await db.query(`
      CREATE TABLE subscription_chargebacks (
        chargeback_id   text        PRIMARY KEY,
        subscription_id text        NOT NULL,
        user_id         text        NOT NULL,
        payment_id      text        NOT NULL,
        amount          bigint      NOT NULL,
        currency        char(3)     NOT NULL,
        reason          text        NOT NULL,
        reason_code     text        NOT NULL,
        disputed_at     timestamptz NOT NULL,
        event_id        uuid        NOT NULL
      )`);
    await db.query(
      `CREATE INDEX ix_subscription_chargebacks_subscription ON subscription_chargebacks (subscription_id)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE subscription_chargebacks`);
    await db.query(`DROP TABLE subscription_refunds`);
    await db.query(`DROP TABLE subscriptions`);
  }
}
