import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The quarantine: correctly signed requests whose content was refused (not JSON, too deep, an
 * invalid envelope, an escape or value Postgres cannot store). The sender got a 400 and will not
 * send them again, so the exact bytes received are kept (`bytea`: they may not even be text),
 * with the headers the inbox keeps for events and the reason, until an operator deletes them or
 * retention does.
 */
export class WebhookRejections1764491500000 implements MigrationInterface {
  name = 'WebhookRejections1764491500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_rejections (
        id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        received_at timestamptz NOT NULL DEFAULT now(),
        code        text        NOT NULL,
        reason      text        NOT NULL,
        headers     jsonb       NOT NULL DEFAULT '{}',
        body        bytea       NOT NULL
      )`);
    // Newest first with (received_at, id) as the keyset cursor; retention walks it from the old end.
    await db.query(`CREATE INDEX ix_webhook_rejections_received ON webhook_rejections (received_at DESC, id DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE webhook_rejections`);
  }
}
