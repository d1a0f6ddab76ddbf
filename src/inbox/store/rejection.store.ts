import { Inject, Injectable } from '@nestjs/common';
import { deleteInBatches } from '../../database/batched-delete.js';
import type { Pool, QueryConfig } from 'pg';
import { INGRESS_PG_POOL, PG_POOL } from '../../database/pg-pool.js';
import type { RejectionCode } from '../entities/webhook-rejection.entity.js';

type Statement = Pick<QueryConfig, 'name' | 'text'>;

/** A verified request whose content was refused, to keep. */
export interface NewRejection {
  /** The source the request was sent to (`default` for POST /webhooks). */
  source: string;
  code: RejectionCode;
  reason: string;
  headers: Record<string, string>;
  /** The body exactly as received. */
  body: Buffer;
}

export interface RejectionSummary {
  id: string;
  receivedAt: Date;
  /** received_at in microseconds since the epoch, exact (a Date keeps milliseconds): the keyset cursor. */
  receivedAtMicros: string;
  source: string;
  code: RejectionCode;
  reason: string;
  /** Size of the body in bytes. */
  size: number;
  /** The webhook-id header, when the request had one. */
  webhookId: string | null;
}

export interface Rejection {
  id: string;
  receivedAt: Date;
  source: string;
  code: RejectionCode;
  reason: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A position in the newest-first list: the last row's received_at (microseconds) and id. */
export interface RejectionPosition {
  receivedAtMicros: string;
  id: string;
}

const INSERT: Statement = {
  name: 'webhook-inbox:quarantine',
  text: `INSERT INTO webhook_rejections (source, code, reason, headers, body) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING id`,
};

const SUMMARY_COLUMNS = `
  id, received_at, (extract(epoch from received_at) * 1000000)::bigint::text AS received_at_micros,
  source, code, reason, octet_length(body) AS size, headers->>'webhook-id' AS webhook_id`;

// Newest first on (received_at, id): a backward walk of ix_webhook_rejections_received that stops at the limit.
const FIRST_PAGE = `
  SELECT ${SUMMARY_COLUMNS} FROM webhook_rejections
  ORDER BY received_at DESC, id DESC
  LIMIT $1`;

const NEXT_PAGE = `
  SELECT ${SUMMARY_COLUMNS} FROM webhook_rejections
  WHERE (received_at, id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid)
  ORDER BY received_at DESC, id DESC
  LIMIT $1`;

const GET = `SELECT id, received_at, source, code, reason, headers, body FROM webhook_rejections WHERE id = $1`;

const DELETE = `DELETE FROM webhook_rejections WHERE id = $1`;

// Short transactions that never wait on a row another one holds (two replicas purging at once).
const DELETE_BATCH = `
  DELETE FROM webhook_rejections
  WHERE id IN (
    SELECT id FROM webhook_rejections
    WHERE received_at < $1
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )`;

interface SummaryRow {
  id: string;
  received_at: Date;
  received_at_micros: string;
  source: string;
  code: RejectionCode;
  reason: string;
  size: number;
  webhook_id: string | null;
}

/** Every statement on webhook_rejections (the quarantine). */
@Injectable()
export class RejectionStore {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    // Quarantining is part of answering the sender, like committing an event: it must not wait
    // for a connection a handler holds.
    @Inject(INGRESS_PG_POOL) private readonly ingressPool: Pool,
  ) {}

  /** Stores the refused request; resolves with its id once committed. */
  async insert(rejection: NewRejection): Promise<string> {
    const { rows } = await this.ingressPool.query<{ id: string }>({
      ...INSERT,
      values: [rejection.source, rejection.code, rejection.reason, JSON.stringify(rejection.headers), rejection.body],
    });
    return rows[0].id;
  }

  /** Up to `limit` rejections older than `after` (all, without it), newest first, without their bodies. */
  async page(limit: number, after?: RejectionPosition): Promise<RejectionSummary[]> {
    const { rows } = after
      ? await this.pool.query<SummaryRow>(NEXT_PAGE, [limit, after.receivedAtMicros, after.id])
      : await this.pool.query<SummaryRow>(FIRST_PAGE, [limit]);
    return rows.map((row) => ({
      id: row.id,
      receivedAt: row.received_at,
      receivedAtMicros: row.received_at_micros,
      source: row.source,
      code: row.code,
      reason: row.reason,
      size: row.size,
      webhookId: row.webhook_id,
    }));
  }

  async get(id: string): Promise<Rejection | undefined> {
    const { rows } = await this.pool.query<{
      id: string;
      received_at: Date;
      source: string;
      code: RejectionCode;
      reason: string;
      headers: Record<string, string>;
      body: Buffer;
    }>(GET, [id]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      receivedAt: row.received_at,
      source: row.source,
      code: row.code,
      reason: row.reason,
      headers: row.headers,
      body: row.body,
    };
  }

  /** Whether there was such a rejection to delete. */
  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(DELETE, [id]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Deletes the rejections received before `before`, in short transactions of DELETE_BATCH_SIZE (1,000) rows with
   * a breather between them. Stops early when `stopped()` says so; returns how many it deleted.
   */
  async purge(before: Date, stopped: () => boolean = () => false): Promise<number> {
    return deleteInBatches(this.pool, DELETE_BATCH, [before], stopped);
  }
}
