import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the delivery runs need to be honest and idempotent:
 * - `webhook_deliveries.job_id`: the queued job that carries the delivery, so the relay can tell a
 *   job that is merely waiting from one Redis lost, and re-queue under an id derived from the
 *   delivery and its attempt (adding it twice is a no-op);
 * - `webhook_delivery_attempts.taken_over`: the run's result arrived after another run had taken
 *   the delivery over; the attempt is kept in the history but did not decide the outcome.
 */
export class DeliveryRuns1764491000000 implements MigrationInterface {
  name = 'DeliveryRuns1764491000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_deliveries ADD COLUMN job_id text`);
    await db.query(`ALTER TABLE webhook_delivery_attempts ADD COLUMN taken_over boolean NOT NULL DEFAULT false`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_delivery_attempts DROP COLUMN taken_over`);
    await db.query(`ALTER TABLE webhook_deliveries DROP COLUMN job_id`);
  }
}
