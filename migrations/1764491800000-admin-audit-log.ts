import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every mutating admin call (replay, purge, subscriptions, test webhook, quarantine delete, queue
 * dashboard actions): who (the admin key's name), how (bearer or browser session), from where,
 * what, with which parameters, its answer and how many rows it touched. Append-only; a bigint
 * identity gives the newest-first keyset order for free.
 */
export class AdminAuditLog1764491800000 implements MigrationInterface {
  name = 'AdminAuditLog1764491800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE admin_audit_log (
        id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at        timestamptz NOT NULL DEFAULT now(),
        actor     text        NOT NULL,
        via       text        NOT NULL,
        ip        text        NOT NULL,
        action    text        NOT NULL,
        method    text        NOT NULL,
        path      text        NOT NULL,
        params    jsonb       NOT NULL DEFAULT '{}',
        status    smallint    NOT NULL,
        rows      integer,
        error     text
      )`);
    await db.query(`CREATE INDEX ix_admin_audit_log_action ON admin_audit_log (action, id DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE admin_audit_log`);
  }
}
