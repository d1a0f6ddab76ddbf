import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What operational alerts share across replicas: each condition's state (so that one replica, and
 * only one, announces a change), the counters every process adds its share to, and when each
 * source last sent an event.
 */
export class AlertState1764493000000 implements MigrationInterface {
  name = 'AlertState1764493000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE alert_states (
        condition_key text        PRIMARY KEY,
        firing        boolean     NOT NULL,
        changed_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE alert_counters (
        name         text        NOT NULL,
        bucket_start timestamptz NOT NULL,
        value        bigint      NOT NULL,
        PRIMARY KEY (name, bucket_start)
      )`);
    await db.query(`CREATE INDEX ix_alert_counters_bucket ON alert_counters (bucket_start)`);
    await db.query(`
      CREATE TABLE alert_source_activity (
        source        text        PRIMARY KEY,
        last_event_at timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE alert_source_activity`);
    await db.query(`DROP TABLE alert_counters`);
    await db.query(`DROP TABLE alert_states`);
  }
}
