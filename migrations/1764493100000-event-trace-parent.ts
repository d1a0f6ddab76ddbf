import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C traceparent of the span that received the event (null when tracing is off): dispatch and
 * every handler attempt continue that trace, whichever process and job carry them.
 */
export class EventTraceParent1764493100000 implements MigrationInterface {
  name = 'EventTraceParent1764493100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_events ADD COLUMN trace_parent text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_events DROP COLUMN trace_parent`);
  }
}
