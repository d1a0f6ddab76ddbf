import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { EntityManager } from 'typeorm';
import { ASYNC_COMMIT } from '../../database/async-commit.js';
import { INGRESS_PG_POOL, PG_POOL } from '../../database/pg-pool.js';
import { deleteInBatches } from '../../database/batched-delete.js';
import { inTransaction } from '../../database/pg-transaction.js';
import { eventTransition, statusIn, UNFINISHED_DELIVERY_STATUSES, type EventStatus } from '../lifecycle.js';

type Statement = Pick<QueryConfig, 'name' | 'text'>;

/** Held by each event insert until it commits: inbox positions are handed out in commit order. */
const INBOX_POSITION_LOCK_KEY = 4_711_003;

/** One event to commit. `payloadJson` is the raw body text: Postgres parses it into jsonb once. */
export interface NewEvent {
  source: string;
  externalId: string;
  type: string;
  payloadJson: string;
  headers: Record<string, string>;
  /** W3C traceparent of the span that received it; null when tracing is off. */
  traceParent?: string | null;
}

export interface StoredEventKey {
  id: string;
  source: string;
  external_id: string;
  duplicate: boolean;
}

export interface EventBacklog {
  unfinished: number;
  oldest: Date | null;
  /** Seconds since the oldest unfinished event was received; 0 without one. */
  ageSeconds: number;
}

const TO_QUEUED_BY_INGESTION = eventTransition(['received'], 'queued');
const TO_QUEUED_BY_RELAY = eventTransition(['received', 'queued'], 'queued');
const TO_QUEUED_BY_REPLAY = eventTransition(['received', 'queued', 'processed', 'failed', 'ignored'], 'queued');
const TO_PROCESSED = eventTransition(['received', 'queued'], 'processed');
const TO_FAILED = eventTransition(['received', 'queued'], 'failed');
const UNFINISHED = statusIn('d.status', UNFINISHED_DELIVERY_STATUSES);

/**
 * The whole batch in one round trip: insert what is new and, in the same statement, return the
 * stored id of every row that already existed. The statement reads the table as it was when it
 * started, so the rows it inserts itself are not reported twice. Named, so that each connection
 * parses and plans it once. (Sending the rows as one JSON document instead of arrays saved the
 * client its array escaping but cost Postgres more than twice the CPU per row: measured, dropped.)
 */
const INSERT_BATCH: Statement = {
  name: 'webhook-inbox:write-events',
  text: `
  WITH incoming AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[])
      AS i(source, external_id, type, payload, headers, trace_parent)
  ),
  inserted AS (
    INSERT INTO webhook_events (source, external_id, type, payload, headers, trace_parent)
    SELECT source, external_id, type, payload, headers, trace_parent FROM incoming
    -- Positions (seq) are taken under a lock held until this statement commits, so they are in
    -- commit order across writers and replicas: ordered deliveries rely on it (see the claim in
    -- delivery.store.ts). The uncorrelated subquery is evaluated once, before the first row.
    WHERE (SELECT true FROM pg_advisory_xact_lock(${INBOX_POSITION_LOCK_KEY}))
    -- Every writer takes the unique-key locks in the same order, so two replicas inserting
    -- overlapping batches wait for each other instead of deadlocking.
    ORDER BY source, external_id
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING id, source, external_id
  )
  SELECT id, source, external_id, false AS duplicate FROM inserted
  UNION ALL
  SELECT e.id, e.source, e.external_id, true AS duplicate
  FROM incoming i JOIN webhook_events e ON e.source = i.source AND e.external_id = i.external_id`,
};

const FIND_BY_KEYS: Statement = {
  name: 'webhook-inbox:find-events',
  text: `
  SELECT e.id, e.source, e.external_id, true AS duplicate
  FROM unnest($1::text[], $2::text[]) AS k(source, external_id)
  JOIN webhook_events e ON e.source = k.source AND e.external_id = k.external_id`,
};

// Committed asynchronously (see ASYNC_COMMIT): the mark only spares the relay a second dispatch.
const MARK_QUEUED: Statement = {
  name: 'webhook-inbox:mark-queued',
  text: `
  WITH ${ASYNC_COMMIT}
  UPDATE webhook_events e SET status = '${TO_QUEUED_BY_INGESTION.to}'
  FROM async_commit, unnest($1::uuid[]) AS k(id)
  WHERE e.id = k.id AND ${TO_QUEUED_BY_INGESTION.guard('e.status')}`,
};

// The payload only when an ordered handler needs it for its key ($2).
const WAITING_EVENTS: Statement = {
  name: 'webhook-inbox:waiting-events',
  text: `
  SELECT e.id, e.type, e.seq, CASE WHEN $2::boolean THEN e.payload END AS payload,
         e.external_id, e.source, e.trace_parent
  FROM unnest($1::uuid[]) AS k(id)
  JOIN webhook_events e ON e.id = k.id
  WHERE ${statusIn('e.status', ['received', 'queued'])}`,
};

/**
 * The finish rule, the one statement that applies it: an event is finished when it has
 * deliveries and none of them can still run; `failed` if any is dead, else `processed`. Only
 * `received` and `queued` events are finished; a finished event changes again only by replay.
 * Run as a statement of its own after the outcomes committed: it must see what other jobs (other
 * handlers of the same event) committed meanwhile, or two handlers finishing together would each
 * wait for the other and leave the event unfinished.
 */
const FINISH: Statement = {
  name: 'webhook-inbox:finish-events',
  text: `
  UPDATE webhook_events e
  SET status = CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'dead')
                    THEN '${TO_FAILED.to}' ELSE '${TO_PROCESSED.to}' END,
      processed_at = now()
  FROM unnest($1::uuid[]) AS k(id)
  WHERE e.id = k.id AND ${TO_PROCESSED.guard('e.status')}
    AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND ${UNFINISHED})
  RETURNING e.id, e.status`,
};

// Events committed but never queued (Redis was down, the process died between commit and enqueue).
const UNQUEUED = `
  SELECT id FROM webhook_events
  WHERE status = 'received' AND received_at < now() - $1::int * interval '1 millisecond'
  ORDER BY received_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED`;

// One page of the queued backlog, in keyset order (received_at, id), with what the relay needs to
// know of each event: its dispatch job was lost (no delivery planned long after it was queued;
// queued_at is set by the relay, events queued by ingestion have received_at instead), or it was
// stranded (every delivery ended, but the event was never marked finished: the worker died
// between the last outcome and the mark). Read without locks; acting re-checks under locks.
const QUEUED_PAGE = `
  SELECT e.id, e.received_at,
         NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
           AND coalesce(e.queued_at, e.received_at) < now() - $4::int * interval '1 millisecond' AS lost,
         EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND ${UNFINISHED}) AS stranded
  FROM webhook_events e
  WHERE e.status = 'queued' AND e.received_at < now() - interval '5 seconds'
    AND (e.received_at, e.id) > ($1::timestamptz, $2::uuid)
  ORDER BY e.received_at, e.id
  LIMIT $3`;

const LOCK_LOST = `
  SELECT e.id FROM webhook_events e
  WHERE e.id = ANY($1::uuid[]) AND e.status = 'queued'
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
  FOR UPDATE OF e SKIP LOCKED`;

const MARK_QUEUED_BY_RELAY = `
  UPDATE webhook_events SET status = '${TO_QUEUED_BY_RELAY.to}', queued_at = now()
  WHERE id = ANY($1::uuid[]) AND ${TO_QUEUED_BY_RELAY.guard('status')}`;

const REQUEUE_FOR_REPLAY = `
  UPDATE webhook_events SET status = '${TO_QUEUED_BY_REPLAY.to}', processed_at = NULL
  WHERE id = ANY($1::uuid[]) AND ${TO_QUEUED_BY_REPLAY.guard('status')}`;

// Two short backward scans of ix_webhook_events_status_received.
const BACKLOG = `
  SELECT count(*)::int AS unfinished, min(received_at) AS oldest,
         coalesce(extract(epoch from now() - min(received_at)), 0)::float8 AS age
  FROM webhook_events WHERE status IN ('received', 'queued')`;

// One range scan of ix_webhook_events_received for both windows.
const RECENT_COUNTS = `
  SELECT source, type, status,
         count(*) FILTER (WHERE received_at >= now() - interval '1 hour')::int AS last_hour,
         count(*)::int AS last_day
  FROM webhook_events
  WHERE received_at >= now() - interval '1 day'
  GROUP BY source, type, status`;

const LAG = `
  SELECT count(*)::int AS processed,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch from processed_at - received_at)) * 1000 AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch from processed_at - received_at)) * 1000 AS p95
  FROM webhook_events
  WHERE received_at >= now() - $1::interval AND status = 'processed'`;

const COUNTS_BY_TYPE = `
  SELECT type, status, count(*)::int AS count, max(received_at) AS last_seen
  FROM webhook_events GROUP BY type, status`;

// One status at a time, no ORDER BY: a plain range scan of ix_webhook_events_status_received that
// stops at the limit. SKIP LOCKED: never waits on a row a worker is updating. Deliveries and
// attempts go with their event (ON DELETE CASCADE).
const DELETE_BATCH = `
  DELETE FROM webhook_events
  WHERE id IN (
    SELECT id FROM webhook_events
    WHERE status = $1 AND received_at < $2
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  )`;

const PAYLOADS = `SELECT id, type, seq, payload, external_id, source FROM webhook_events WHERE id = ANY($1::uuid[])`;

/** An event waiting for dispatch; `seq` is its inbox position (commit order), a bigint as a string. */
export interface WaitingEvent {
  id: string;
  type: string;
  seq: string;
  payload: Record<string, unknown> | null;
  external_id: string;
  source: string;
  trace_parent: string | null;
}

/** A position in the queued backlog, walked in (received_at, id) order. */
export interface BacklogCursor {
  receivedAt: Date;
  id: string;
}

/** Every statement on webhook_events. The hot paths use the pg pool directly; no entity hydration. */
@Injectable()
export class EventStore {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    // The acknowledgement's statements only: handlers cannot take these connections.
    @Inject(INGRESS_PG_POOL) private readonly ingressPool: Pool,
  ) {}

  /** Inserts the new events and returns the key and id of each, new or already stored. */
  async insertBatch(events: readonly NewEvent[]): Promise<StoredEventKey[]> {
    const { rows } = await this.ingressPool.query<StoredEventKey>({
      ...INSERT_BATCH,
      values: [
        events.map((e) => e.source),
        events.map((e) => e.externalId),
        events.map((e) => e.type),
        events.map((e) => e.payloadJson),
        events.map((e) => JSON.stringify(e.headers)),
        events.map((e) => e.traceParent ?? null),
      ],
    });
    return rows;
  }

  /** For keys a racing writer committed while our insert waited on its lock: a new statement sees them. */
  async findByKeys(keys: readonly { source: string; externalId: string }[]): Promise<StoredEventKey[]> {
    const { rows } = await this.ingressPool.query<StoredEventKey>({
      ...FIND_BY_KEYS,
      values: [keys.map((k) => k.source), keys.map((k) => k.externalId)],
    });
    return rows;
  }

  /** received → queued, once their ids are on the dispatch queue. */
  async markQueued(ids: readonly string[]): Promise<void> {
    await this.pool.query({ ...MARK_QUEUED, values: [ids] });
  }

  /**
   * The events among `ids` still waiting to be dispatched, with their inbox position, and their
   * payload when `withPayload` (an ordered handler computes its key from it).
   */
  async waitingForDispatch(ids: readonly string[], withPayload = false): Promise<WaitingEvent[]> {
    const { rows } = await this.pool.query<WaitingEvent>({ ...WAITING_EVENTS, values: [ids, withPayload] });
    return rows;
  }

  /** Payloads of these events, for ordering keys computed outside dispatch (replay of a new handler). */
  async payloads(ids: readonly string[]): Promise<Map<string, WaitingEvent>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<WaitingEvent>(PAYLOADS, [ids]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Applies the finish rule to these events; returns those it finished, with their new status. */
  async finish(
    ids: readonly string[],
    client: Pick<Pool, 'query'> = this.pool,
  ): Promise<{ id: string; status: EventStatus }[]> {
    if (ids.length === 0) return [];
    const { rows } = await client.query<{ id: string; status: EventStatus }>({ ...FINISH, values: [ids] });
    return rows;
  }

  /**
   * Takes up to `limit` events that were never queued (older than `graceMs`) under row locks,
   * hands their ids to `send` and marks them queued, in one transaction: rows another replica is
   * relaying are skipped, and nothing is marked if sending fails.
   */
  relayUnqueued(graceMs: number, limit: number, send: (ids: string[]) => Promise<void>): Promise<number> {
    return this.relay(UNQUEUED, [graceMs, limit], send);
  }

  /**
   * One page of the queued backlog after `after` (keyset order): which events look lost (no
   * delivery planned `lostAfterMs` after they were queued) and which are stranded. `next` is the
   * cursor to continue from, undefined at the end of the backlog.
   */
  async queuedPage(
    after: BacklogCursor | undefined,
    limit: number,
    lostAfterMs: number,
  ): Promise<{ lost: string[]; stranded: string[]; next?: BacklogCursor }> {
    const { rows } = await this.pool.query<{ id: string; received_at: Date; lost: boolean; stranded: boolean }>(
      QUEUED_PAGE,
      [after?.receivedAt ?? new Date(0), after?.id ?? '00000000-0000-0000-0000-000000000000', limit, lostAfterMs],
    );
    const last = rows[rows.length - 1];
    return {
      lost: rows.filter((row) => row.lost).map((row) => row.id),
      stranded: rows.filter((row) => row.stranded).map((row) => row.id),
      next: rows.length < limit ? undefined : { receivedAt: last.received_at, id: last.id },
    };
  }

  /** Sends the dispatch of these lost events again, under row locks (rows another replica holds are skipped). */
  relayLost(ids: readonly string[], send: (ids: string[]) => Promise<void>): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.relay(LOCK_LOST, [ids], send);
  }

  /** Replay: events with re-opened deliveries go (back) to queued, inside the replay's transaction. */
  async requeueForReplay(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await manager.query(REQUEUE_FOR_REPLAY, [ids]);
  }

  async backlog(): Promise<EventBacklog> {
    const { rows } = await this.pool.query<{ unfinished: number; oldest: Date | null; age: number }>(BACKLOG);
    return { unfinished: rows[0].unfinished, oldest: rows[0].oldest, ageSeconds: rows[0].age };
  }

  async recentCounts(): Promise<
    { source: string; type: string; status: EventStatus; last_hour: number; last_day: number }[]
  > {
    return (await this.pool.query(RECENT_COUNTS)).rows;
  }

  async processingLag(window: string): Promise<{ processed: number; p50: number | null; p95: number | null }> {
    return (await this.pool.query(LAG, [window])).rows[0];
  }

  async countsByType(): Promise<{ type: string; status: EventStatus; count: number; last_seen: Date }[]> {
    return (await this.pool.query(COUNTS_BY_TYPE)).rows;
  }

  /**
   * Deletes the events in these statuses received before `before`, in short transactions of
   * DELETE_BATCH_SIZE (1,000) rows with a breather between them, so that ingestion and workers always get the
   * rows and I/O first. Stops early when `stopped()` says so; returns how many it deleted.
   */
  async purge(statuses: readonly EventStatus[], before: Date, stopped: () => boolean = () => false): Promise<number> {
    let total = 0;
    for (const status of statuses) total += await deleteInBatches(this.pool, DELETE_BATCH, [status, before], stopped);
    return total;
  }

  /** How many events `purge(statuses, before)` would delete now (a purge's dry run). */
  async countPurgeable(statuses: readonly EventStatus[], before: Date): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      'SELECT count(*) AS count FROM webhook_events WHERE status = ANY($1::text[]) AND received_at < $2',
      [statuses, before],
    );
    return Number(rows[0].count);
  }

  private relay(select: string, params: unknown[], send: (ids: string[]) => Promise<void>): Promise<number> {
    return inTransaction(this.pool, async (client: PoolClient) => {
      const { rows } = await client.query<{ id: string }>(select, params);
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await send(ids);
      await client.query(MARK_QUEUED_BY_RELAY, [ids]);
      return ids.length;
    });
  }
}
