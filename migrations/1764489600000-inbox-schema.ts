import { MigrationInterface, QueryRunner } from 'typeorm';

/** The inbox itself: events, one delivery per (event, handler), and every attempt of a delivery. */
export class InboxSchema1764489600000 implements MigrationInterface {
  name = 'InboxSchema1764489600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_events (
        id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        source       text        NOT NULL DEFAULT 'default',
        external_id  text        NOT NULL,
        type         text        NOT NULL,
        payload      jsonb       NOT NULL,
        headers      jsonb       NOT NULL DEFAULT '{}',
        status       text        NOT NULL DEFAULT 'received'
                     CONSTRAINT ck_webhook_events_status
                     CHECK (status IN ('received', 'queued', 'processed', 'failed', 'ignored')),
        received_at  timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        CONSTRAINT uq_webhook_events_source_external_id UNIQUE (source, external_id)
      )`);
    // Admin lists: newest first, optionally by type or status; (received_at, id) is the keyset cursor.
    await db.query(`CREATE INDEX ix_webhook_events_received ON webhook_events (received_at DESC, id DESC)`);
    await db.query(`CREATE INDEX ix_webhook_events_type_received ON webhook_events (type, received_at DESC, id DESC)`);
    await db.query(
      `CREATE INDEX ix_webhook_events_status_received ON webhook_events (status, received_at DESC, id DESC)`,
    );
    // The relay's scan for events that were committed but never reached the queue: tiny, since
    // almost every row leaves `received` within milliseconds.
    await db.query(`CREATE INDEX ix_webhook_events_unqueued ON webhook_events (received_at) WHERE status = 'received'`);

    await db.query(`
      CREATE TABLE webhook_deliveries (
        id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id         uuid        NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
        handler          text        NOT NULL,
        status           text        NOT NULL DEFAULT 'pending'
                         CONSTRAINT ck_webhook_deliveries_status
                         CHECK (status IN ('pending', 'running', 'succeeded', 'retrying', 'dead')),
        attempts         int         NOT NULL DEFAULT 0,
        max_attempts     int         NOT NULL,
        last_error       text,
        first_attempt_at timestamptz,
        last_attempt_at  timestamptz,
        next_attempt_at  timestamptz,
        lease_until      timestamptz,
        claimed_by       text,
        duration_ms      int,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_webhook_deliveries_event_handler UNIQUE (event_id, handler)
      )`);
    await db.query(`CREATE INDEX ix_webhook_deliveries_handler_status ON webhook_deliveries (handler, status)`);
    // The relay's scan for deliveries that lost their job (crash, Redis data loss): unfinished only.
    await db.query(
      `CREATE INDEX ix_webhook_deliveries_unfinished ON webhook_deliveries (updated_at)
       WHERE status IN ('pending', 'running', 'retrying')`,
    );

    await db.query(`
      CREATE TABLE webhook_delivery_attempts (
        id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id   uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt       int         NOT NULL,
        outcome       text        NOT NULL
                      CONSTRAINT ck_webhook_delivery_attempts_outcome
                      CHECK (outcome IN ('succeeded', 'failed', 'timed_out', 'invalid')),
        started_at    timestamptz NOT NULL,
        finished_at   timestamptz NOT NULL,
        duration_ms   int         NOT NULL,
        error_message text,
        error_stack   text
      )`);
    await db.query(
      `CREATE INDEX ix_webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, attempt)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE webhook_delivery_attempts`);
    await db.query(`DROP TABLE webhook_deliveries`);
    await db.query(`DROP TABLE webhook_events`);
  }
}
