import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository, type FindOptionsWhere } from 'typeorm';
import type { AdminCaller } from '../auth/admin-identity.js';
import { AdminAuditEntryEntity } from './admin-audit-entry.entity.js';

export interface AuditRecord {
  caller: AdminCaller;
  action: string;
  method: string;
  path: string;
  params: Record<string, unknown>;
  status: number;
  rows: number | null;
  error?: string;
}

export interface AuditQuery {
  limit: number;
  /** Entries older than this id (the previous page's last). */
  before?: string;
  action?: string;
  actor?: string;
}

/**
 * The admin audit trail: one row and one log line per mutating admin call. Written after the call
 * has answered, so the row carries the outcome; if Postgres refuses the row, the log line (at
 * error level) is the record.
 */
@Injectable()
export class AdminAuditService {
  private readonly logger = new Logger('AdminAudit');

  constructor(@InjectRepository(AdminAuditEntryEntity) private readonly entries: Repository<AdminAuditEntryEntity>) {}

  async record(record: AuditRecord): Promise<void> {
    const { caller, ...rest } = record;
    const line = { audit: { actor: caller.name, via: caller.via, ip: caller.ip, ...rest } };
    const summary = `admin ${record.action} by ${caller.name}: ${record.status}${record.rows === null ? '' : `, ${record.rows} row(s)`}`;
    try {
      const entry = this.entries.create({
        actor: caller.name,
        via: caller.via,
        ip: caller.ip,
        action: record.action,
        method: record.method,
        path: record.path,
        params: record.params,
        status: record.status,
        rows: record.rows,
        error: record.error ?? null,
      });
      await this.entries.save(entry);
      this.logger.log({ ...line, msg: summary });
    } catch (error) {
      this.logger.error({ ...line, msg: `${summary} — NOT written to admin_audit_log: ${(error as Error).message}` });
    }
  }

  page(query: AuditQuery): Promise<AdminAuditEntryEntity[]> {
    const where: FindOptionsWhere<AdminAuditEntryEntity> = {};
    if (query.before !== undefined) where.id = LessThan(query.before);
    if (query.action !== undefined) where.action = query.action;
    if (query.actor !== undefined) where.actor = query.actor;
    return this.entries.find({ where, order: { id: 'DESC' }, take: query.limit });
  }
}
