import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which event types the team processes, mirrored from the provider's subscription settings.
 * Append-only: every change is a new version row (who, when, why, what was added and removed), so
 * the table is its own audit log and "the current list" is simply the newest version. No row means
 * "process every type that has a handler" (the behaviour before anyone sets a list).
 */
export class EventTypeSubscriptions1764490000000 implements MigrationInterface {
  name = 'EventTypeSubscriptions1764490000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE event_type_subscription_versions (
        version    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        mode       text        NOT NULL
                   CONSTRAINT ck_event_type_subscription_versions_mode CHECK (mode IN ('all', 'list')),
        types      text[]      NOT NULL DEFAULT '{}',
        added      text[]      NOT NULL DEFAULT '{}',
        removed    text[]      NOT NULL DEFAULT '{}',
        changed_by text        NOT NULL,
        reason     text,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE event_type_subscription_versions`);
  }
}
