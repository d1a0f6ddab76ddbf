import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { pgPool } from '../../database/pg-pool.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { PostgresAvailability } from '../delivery/postgres-availability.js';
import { WebhookHandlerRegistry } from '../discovery/webhook-handler.registry.js';

const BATCH = 500;
/**
 * A pass keeps queuing batches of un-queued events until none is left (or this many batches):
 * after a long Redis outage the whole backlog is queued within a second or two of Redis coming
 * back, not 500 events a second.
 */
const MAX_BATCHES_PER_PASS = 100;
/** Bounds every enqueue, so that a hung Redis cannot hold the relay's row locks. */
const REDIS_TIMEOUT_MS = 5000;
/** A delivery untouched this long while unfinished has probably lost its job. */
const STUCK_AFTER = `interval '60 seconds'`;
/** How many of the oldest queued events each pass inspects for the two checks below. */
const CANDIDATE_WINDOW = 2000;
/** A queued event whose dispatch job has not run after this was probably lost with Redis data. */
const LOST_DISPATCH_AFTER = `interval '30 seconds'`;

// Events committed but never queued (Redis was down, the process died between commit and enqueue).
const UNQUEUED_EVENTS = `
  SELECT id FROM webhook_events
  WHERE status = 'received' AND received_at < now() - $1::int * interval '1 millisecond'
  ORDER BY received_at
  LIMIT ${BATCH}
  FOR UPDATE SKIP LOCKED`;

// The two checks below look at the oldest queued events only (a bounded window, so that a large
// backlog of events that are simply waiting for their handlers costs a fixed amount per pass):
// an event stuck for good ends up among the oldest.
const OLDEST_QUEUED = `
  SELECT id FROM webhook_events
  WHERE status = 'queued' AND received_at < now() - interval '5 seconds'
  ORDER BY received_at
  LIMIT ${CANDIDATE_WINDOW}`;

// Events queued but never dispatched (no delivery planned, not ignored): their dispatch job was
// lost (Redis restarted without the last second of its AOF, a failover to a lagging replica).
// queued_at is set by the relay; events queued by ingestion have it NULL and received_at instead.
const LOST_DISPATCHES = `
  SELECT e.id FROM webhook_events e
  WHERE e.id IN (${OLDEST_QUEUED})
    AND coalesce(e.queued_at, e.received_at) < now() - ${LOST_DISPATCH_AFTER}
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
  LIMIT ${BATCH}
  FOR UPDATE OF e SKIP LOCKED`;

// Events whose deliveries have all finished but that were never marked finished: the worker died
// (or Postgres went away) between the last delivery's outcome and the event's final status.
const UNFINISHED_EVENTS = `
  SELECT e.id FROM webhook_events e
  WHERE e.id IN (${OLDEST_QUEUED})
    AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                    WHERE d.event_id = e.id AND d.status IN ('pending', 'running', 'retrying'))
  LIMIT ${BATCH}
  FOR UPDATE OF e SKIP LOCKED`;

const MARK_QUEUED = `UPDATE webhook_events SET status = 'queued', queued_at = now() WHERE id = ANY($1::uuid[])`;

// Deliveries whose job is gone: never started, abandoned by a crashed worker past its lease, or a
// retry whose delayed job was lost.
const STUCK_DELIVERIES = `
  SELECT id, event_id, handler, status, attempts, max_attempts FROM webhook_deliveries
  WHERE status IN ('pending', 'running', 'retrying') AND updated_at < now() - ${STUCK_AFTER}
    AND (status = 'pending'
      OR (status = 'running' AND lease_until < now())
      OR (status = 'retrying' AND next_attempt_at < now() - interval '30 seconds'))
  LIMIT ${BATCH}
  FOR UPDATE SKIP LOCKED`;

// A delivery whose last allowed attempt never finished (its worker died every time, e.g. the
// event makes the process crash) is not run again: it is dead, so that it cannot loop forever.
const ABANDON = `
  UPDATE webhook_deliveries
  SET status = 'dead', last_error = 'the worker stopped during the last attempt (crashed or was killed)',
      lease_until = NULL, claimed_by = NULL, updated_at = now()
  WHERE id = ANY($1::uuid[])`;

const FINISH_EVENTS = `
  UPDATE webhook_events e
  SET status = CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'dead')
                    THEN 'failed' ELSE 'processed' END,
      processed_at = now()
  WHERE e.id = ANY($1::uuid[]) AND e.status IN ('queued', 'received')
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                    WHERE d.event_id = e.id AND d.status IN ('pending', 'running', 'retrying'))`;

interface StuckDelivery {
  id: string;
  event_id: string;
  handler: string;
  status: string;
  attempts: number;
  max_attempts: number;
}

export interface RelayPass {
  /** Committed events that had never been queued. */
  events: number;
  /** Queued events whose dispatch job was lost. */
  redispatched: number;
  /** Events whose deliveries had all finished, marked processed or failed. */
  finished: number;
  /** Deliveries whose job was lost, queued again. */
  deliveries: number;
  /** Deliveries given up because their last attempt never finished. */
  abandoned: number;
}

/**
 * The transactional-outbox relay: Postgres is the source of truth, the queue only a fast path.
 * Every second it queues what the fast path missed. Row locks with SKIP LOCKED let any number of
 * replicas run it without taking the same rows; job ids and the delivery claims make a second
 * enqueue harmless anyway. It rests while Postgres is unreachable.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly pool: Pool;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
    private readonly database: PostgresAvailability,
  ) {
    this.pool = pgPool(dataSource);
  }

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    const interval = this.options.relay?.intervalMs ?? 1000;
    this.timer = setInterval(() => {
      if (this.running || !this.database.available) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((error: Error) => this.logger.warn(`relay pass failed, will retry: ${error.message}`))
        .finally(() => (this.running = undefined));
    }, interval);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns what it queued. */
  async tick(): Promise<RelayPass> {
    const graceMs = this.options.relay?.graceMs ?? 3000;
    let events = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const queued = await this.dispatch(UNQUEUED_EVENTS, [graceMs], 'relay');
      events += queued;
      if (queued < BATCH) break;
    }
    // One batch a pass: normally there is nothing, and after a loss it heals within seconds.
    const redispatched = await this.dispatch(LOST_DISPATCHES, [], 'redispatch');
    const finished = await this.finishEvents();
    const { deliveries, abandoned } = await this.recoverDeliveries();
    if (events || redispatched || finished || deliveries || abandoned) {
      this.logger.log(
        `relay queued ${events} event(s), re-dispatched ${redispatched}, finished ${finished}, ` +
          `re-queued ${deliveries} stuck delivery(ies), abandoned ${abandoned}`,
      );
    }
    return { events, redispatched, finished, deliveries, abandoned };
  }

  /** Takes one batch of events with `select`, puts them on the dispatch queue, marks them queued. */
  private dispatch(select: string, params: unknown[], key: string): Promise<number> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(select, params);
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await withTimeout(this.queues.dispatch(ids, `${key}${Date.now()}`), 'adding a dispatch job');
      await client.query(MARK_QUEUED, [ids]);
      return ids.length;
    });
  }

  private finishEvents(): Promise<number> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(UNFINISHED_EVENTS);
      if (rows.length === 0) return 0;
      const { rowCount } = await client.query(FINISH_EVENTS, [rows.map((row) => row.id)]);
      return rowCount ?? 0;
    });
  }

  private recoverDeliveries(): Promise<{ deliveries: number; abandoned: number }> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<StuckDelivery>(STUCK_DELIVERIES);
      if (rows.length === 0) return { deliveries: 0, abandoned: 0 };
      const abandoned = rows.filter((row) => row.status === 'running' && row.attempts >= row.max_attempts);
      const requeue = rows.filter((row) => !abandoned.includes(row));

      const byHandler = new Map<string, string[]>();
      for (const row of requeue) byHandler.set(row.handler, [...(byHandler.get(row.handler) ?? []), row.event_id]);
      for (const [name, eventIds] of byHandler) {
        const handler = this.registry.get(name);
        if (!handler) continue; // a handler removed from the code: its deliveries wait for an operator
        await withTimeout(this.queues.runHandler(handler, eventIds, `recover${Date.now()}`), 'adding a handler job');
      }
      await client.query(`UPDATE webhook_deliveries SET updated_at = now() WHERE id = ANY($1::uuid[])`, [
        requeue.map((row) => row.id),
      ]);
      if (abandoned.length > 0) {
        await client.query(ABANDON, [abandoned.map((row) => row.id)]);
        await client.query(FINISH_EVENTS, [abandoned.map((row) => row.event_id)]);
      }
      return { deliveries: requeue.length, abandoned: abandoned.length };
    });
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client has no error listener of the pool's: if the server goes away while we
    // wait on Redis, its 'error' event would crash the process. Note it, and discard the client.
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
}

/** Rejects when `work` takes longer than REDIS_TIMEOUT_MS (the work itself may still complete: harmless). */
async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
