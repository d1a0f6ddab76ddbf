import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries in order per key (`@OnWebhook(…, { orderBy })`):
 * - `webhook_events.seq`: the event's inbox position. The writer takes it under a lock held until
 *   its commit, so positions are in commit order: an event that becomes visible later has a larger
 *   position than every event visible before it.
 * - `webhook_deliveries.order_key` / `order_position`: the handler's key for the event and the
 *   event's position, written when the delivery is planned; NULL for unordered deliveries.
 * - `webhook_deliveries.skipped_at`: a dead ordered delivery that no longer holds its key (the
 *   handler's `onDead: 'skip'`, or an operator's skip).
 * The partial indexes hold only what the claim looks at: the deliveries that still hold their key,
 * and the events not finished yet (where an undispatched event is looked for).
 */
export class OrderedDeliveries1764492000000 implements MigrationInterface {
  name = 'OrderedDeliveries1764492000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_events ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`);
    await db.query(
      `CREATE INDEX ix_webhook_events_unfinished_seq ON webhook_events (seq) WHERE status IN ('received', 'queued')`,
    );
    await db.query(`ALTER TABLE webhook_deliveries ADD COLUMN order_key text`);
    await db.query(`ALTER TABLE webhook_deliveries ADD COLUMN order_position bigint`);
    await db.query(`ALTER TABLE webhook_deliveries ADD COLUMN skipped_at timestamptz`);
    await db.query(
      `CREATE INDEX ix_webhook_deliveries_order_key ON webhook_deliveries (handler, order_key, order_position)
       WHERE order_key IS NOT NULL
         AND (status IN ('pending', 'running', 'retrying') OR (status = 'dead' AND skipped_at IS NULL))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX ix_webhook_deliveries_order_key`);
    await db.query(`ALTER TABLE webhook_deliveries DROP COLUMN skipped_at`);
    await db.query(`ALTER TABLE webhook_deliveries DROP COLUMN order_position`);
    await db.query(`ALTER TABLE webhook_deliveries DROP COLUMN order_key`);
    await db.query(`DROP INDEX ix_webhook_events_unfinished_seq`);
    await db.query(`ALTER TABLE webhook_events DROP COLUMN seq`);
  }
}
