import { MigrationInterface, QueryRunner } from 'typeorm';

/** The quarantine keeps which source a refused request came to (POST /webhooks/<source>). */
export class RejectionSource1764492500000 implements MigrationInterface {
  name = 'RejectionSource1764492500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_rejections ADD COLUMN source text NOT NULL DEFAULT 'default'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_rejections DROP COLUMN source`);
  }
}
