import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One mutating admin call, as recorded (see the admin-audit-log migration). */
@Entity({ name: 'admin_audit_log' })
export class AdminAuditEntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  /** The admin key's name (ADMIN_API_KEYS `name:key`, or `key-<fingerprint>` for a bare key). */
  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text' })
  via: 'bearer' | 'session';

  @Column({ type: 'text' })
  ip: string;

  /** What was done, e.g. `events.purge`, `queues.retry-job`. */
  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text' })
  method: string;

  @Column({ type: 'text' })
  path: string;

  /** Path parameters, query and body as received. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  params: Record<string, unknown>;

  /** The HTTP status answered. */
  @Column({ type: 'smallint' })
  status: number;

  /** Rows the call changed (events purged, deliveries re-opened, …); null when not counted or refused. */
  @Column({ type: 'integer', nullable: true })
  rows: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
