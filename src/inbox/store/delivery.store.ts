import { Inject, Injectable } from '@nestjs/common';
import type { Pool, QueryConfig } from 'pg';
import type { EntityManager } from 'typeorm';
import { PG_POOL } from '../../database/pg-pool.js';
import { inTransaction } from '../../database/pg-transaction.js';
import type { AttemptOutcome } from '../entities/delivery-attempt.entity.js';
import { deliveryTransition, eventTransition, statusIn, type DeliveryStatus } from '../lifecycle.js';
import { EventStore } from './event.store.js';

type Statement = Pick<QueryConfig, 'name' | 'text'>;

/** A delivery a run has started (its attempt counted), with what the handler needs of its event. */
export interface StartedDelivery {
  id: string;
  event_id: string;
  attempts: number;
  max_attempts: number;
  type: string;
  source: string;
  external_id: string;
  payload: Record<string, unknown>;
  received_at: Date;
  /** The W3C traceparent the event was received under (null when tracing was off). */
  trace_parent: string | null;
}

export interface DeadDeliveryDetail {
  delivery_id: string;
  handler: string;
  attempts: number;
  last_error: string | null;
  event_id: string;
  external_id: string;
  type: string;
  source: string;
}

/** One delivery to plan. */
export interface PlannedDelivery {
  eventId: string;
  handler: string;
  maxAttempts: number;
  /** The job that will carry the delivery; null when it is refused (nothing runs it). */
  jobId: string | null;
  /** An ordered handler's key for the event; the event's inbox position then orders the key. */
  orderKey?: string | null;
  /** Refused at planning (an ordered handler found no key): created dead with this error. */
  refusal?: string;
}

/** A delivery the plan created. */
export interface PlannedRow {
  id: string;
  event_id: string;
  handler: string;
  job_id: string | null;
}

/** The deliveries to create for a batch of events, and which events no handler takes. */
export interface DeliveryPlan {
  ignoredEventIds: string[];
  handledEventIds: string[];
  deliveries: PlannedDelivery[];
}

/** What a claim of an ordered handler's deliveries started, and what it left for later. */
export interface OrderedStart {
  started: StartedDelivery[];
  /** The inbox position below which every event has been dispatched (a hint for the next claim). */
  frontier: string;
  /** Events of the batch at or past the frontier: an earlier event is not dispatched yet. */
  beyondFrontier: string[];
}

/** A delivery to run next, now that the one before it in its key has ended. */
export interface WokenDelivery {
  id: string;
  event_id: string;
  job_id: string;
}

/** The delivery at the head of a key, and what waits behind it. */
export interface KeyHead {
  handler: string;
  order_key: string;
  id: string;
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  /** When the head last changed (its last outcome). */
  since: Date;
  next_attempt_at: Date | null;
  /** Deliveries of the key behind the head. */
  waiting: number;
}

/** Keys held by a failing head, as counted for the metrics. */
export interface OrderingBacklog {
  blockedKeys: number;
  waiting: number;
  /** Seconds since the oldest blocked head's first attempt; 0 without one. */
  oldestAgeSeconds: number;
}

/** The outcome of one finished attempt, as recorded. */
export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  outcome: AttemptOutcome;
  startedAt: Date;
  finishedAt: Date;
  error: string | null;
  stack: string | null;
  /** The delivery's new status; undefined when the handler's transaction already recorded it. */
  status?: Extract<DeliveryStatus, 'succeeded' | 'retrying' | 'dead'>;
  /** For `retrying`: the wait before the next attempt (added to the database's clock) and its job. */
  retryDelayMs?: number;
  retryJobId?: string;
}

export interface StuckDelivery {
  id: string;
  event_id: string;
  handler: string;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  job_id: string | null;
}

/** What the relay decides for a delivery whose job may be gone. */
export interface StuckDecision {
  /** Deliveries whose job still exists (waiting behind others): looked at again later. */
  waiting: string[];
  /** Deliveries put on a new job, with its id. */
  requeued: { id: string; jobId: string }[];
}

export interface ReopenedDelivery {
  id: string;
  event_id: string;
  handler: string;
  previous_status: DeliveryStatus | 'missing';
}

const EVENT_IGNORED = eventTransition(['received', 'queued'], 'ignored');
const EVENT_QUEUED = eventTransition(['received'], 'queued');
const STARTED = deliveryTransition(['pending', 'retrying', 'running'], 'running');
const SUCCEEDED = deliveryTransition(['running'], 'succeeded');
const RETRYING_OR_DEAD = [deliveryTransition(['running'], 'retrying'), deliveryTransition(['running'], 'dead')];
const ABANDONED = deliveryTransition(['running'], 'dead');
const REOPENED = deliveryTransition(['dead', 'succeeded'], 'pending');
const SKIPPED = deliveryTransition(['retrying'], 'dead');

/**
 * A delivery that holds its key: not ended, or dead and not skipped. Written exactly as the
 * predicate of ix_webhook_deliveries_order_key, so that every probe of a key reads that index.
 */
const HOLDS_KEY = (d: string) =>
  `${d}.order_key IS NOT NULL AND (${d}.status IN ('pending', 'running', 'retrying') OR (${d}.status = 'dead' AND ${d}.skipped_at IS NULL))`;

/**
 * The ordering rule, in one place: an ordered delivery may start only when it is the head of its
 * key (no delivery of the same handler and key before it in inbox order still holds the key), no
 * other delivery of the key is running (a replayed earlier delivery waits for a later one that is
 * running), and every event before it in inbox order has been dispatched (an event not planned yet
 * may belong to the same key; its position is smaller, so it must run first). Positions follow
 * commit order (see the event writer's lock), so an event that is not visible yet cannot come
 * before one that is.
 */
const IS_HEAD = (d: string, frontier: string) => `
  (${d}.order_key IS NULL OR (
    ${d}.order_position < ${frontier}
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                    WHERE o.handler = ${d}.handler AND o.order_key = ${d}.order_key
                      AND o.order_position < ${d}.order_position AND ${HOLDS_KEY('o')})
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                    WHERE o.handler = ${d}.handler AND o.order_key = ${d}.order_key
                      AND o.status = 'running' AND o.id <> ${d}.id AND ${HOLDS_KEY('o')})))`;

// Plans the work for a batch of events in one round trip: events no handler takes become
// `ignored`, the others get one delivery per handler. ON CONFLICT makes a second dispatch of the
// same event (relay, replayed job) create nothing.
const PLAN: Statement = {
  name: 'webhook-inbox:plan-deliveries',
  text: `
  WITH ignored AS (
    UPDATE webhook_events e SET status = '${EVENT_IGNORED.to}', processed_at = now()
    FROM unnest($1::uuid[]) AS k(id)
    WHERE e.id = k.id AND ${EVENT_IGNORED.guard('e.status')}
  ),
  queued AS (
    UPDATE webhook_events e SET status = '${EVENT_QUEUED.to}'
    FROM unnest($2::uuid[]) AS k(id)
    WHERE e.id = k.id AND ${EVENT_QUEUED.guard('e.status')}
  )
  INSERT INTO webhook_deliveries (event_id, handler, max_attempts, job_id, order_key, order_position, status, last_error)
  SELECT d.event_id, d.handler, d.max_attempts, d.job_id, d.order_key,
         CASE WHEN d.order_key IS NOT NULL THEN e.seq END,
         CASE WHEN d.refusal IS NULL THEN 'pending' ELSE 'dead' END, d.refusal
  FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[])
    AS d(event_id, handler, max_attempts, job_id, order_key, refusal)
  JOIN webhook_events e ON e.id = d.event_id AND ${statusIn('e.status', ['received', 'queued'])}
  ON CONFLICT (event_id, handler) DO NOTHING
  RETURNING id, event_id, handler, job_id`,
};

/** The claim both starts share: the run takes the due deliveries of $1 (events) for handler $2. */
const CLAIM_DUE = `
  SET status = '${STARTED.to}', attempts = d.attempts + 1, claimed_by = $3,
      first_attempt_at = coalesce(d.first_attempt_at, now()), last_attempt_at = now(),
      lease_until = now() + $4::int * interval '1 millisecond', updated_at = now()
  FROM unnest($1::uuid[]) AS k(event_id), webhook_events e
  WHERE d.event_id = k.event_id AND d.handler = $2 AND e.id = d.event_id
    AND CASE d.status
          WHEN 'pending' THEN true
          WHEN 'retrying' THEN d.next_attempt_at <= now() + interval '1 second'
          WHEN 'running' THEN d.lease_until < now() OR d.claimed_by = ANY($5::text[])
          ELSE false
        END`;
const STARTED_COLUMNS =
  'd.id, d.event_id, d.attempts, d.max_attempts, e.type, e.source, e.external_id, e.payload, e.received_at, e.trace_parent';

// Starts the due deliveries of these events for one run: each becomes `running` under the run's
// token with a lease, and its attempt is counted now, when it starts (a crash costs the attempts
// that were running, no more). A delivery another run holds is due only once that run's lease has
// passed (its worker died or stopped renewing), or when that run is known to have ended ($5: an
// earlier run of the same job in this process, which could not record its outcomes). "Is it due?" is one CASE, which no index matches:
// as OR-ed status tests the planner reads every pending delivery of the handler through the
// (handler, status) index instead.
const START: Statement = {
  name: 'webhook-inbox:start-deliveries',
  text: `
  UPDATE webhook_deliveries d
  ${CLAIM_DUE}
  RETURNING ${STARTED_COLUMNS}`,
};

// START for an ordered handler: the same claim, only for the heads of their keys (IS_HEAD). The
// frontier is the first event not dispatched yet, looked for from the caller's hint upwards (every
// event below the hint is known to be dispatched); with none, no event visible now is undispatched,
// and the next hint is past the newest unfinished one. One row at least: the frontier and the
// batch's events at or past it come with every row, with a claimed row or alone.
const START_ORDERED: Statement = {
  name: 'webhook-inbox:start-ordered-deliveries',
  text: `
  WITH frontier AS MATERIALIZED (
    SELECT (SELECT e.seq FROM webhook_events e
            WHERE e.status IN ('received', 'queued') AND e.seq >= $6::bigint
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.event_id = e.id)
            ORDER BY e.seq LIMIT 1) AS first_undispatched,
           coalesce((SELECT max(e.seq) + 1 FROM webhook_events e WHERE e.status IN ('received', 'queued')), $6::bigint)
             AS past_unfinished
  ),
  claimed AS (
    UPDATE webhook_deliveries d
    ${CLAIM_DUE}
      AND ${IS_HEAD('d', `coalesce((SELECT first_undispatched FROM frontier), 9223372036854775807)`)}
    RETURNING ${STARTED_COLUMNS}
  )
  SELECT c.*, coalesce(f.first_undispatched, greatest(f.past_unfinished, $6::bigint))::text AS frontier,
         ARRAY(SELECT b.id FROM webhook_events b
               WHERE b.id = ANY($1::uuid[]) AND b.seq >= f.first_undispatched) AS beyond
  FROM frontier f LEFT JOIN claimed c ON true`,
};

// After deliveries of ordered keys ended (succeeded, or dead and skipped): the new head of each key,
// if it can run now, is put on a job of its own (id derived from the delivery that ended and its
// attempt, so waking it twice adds one job). Its job id is stored for the relay.
const WAKE_NEXT = `
  WITH ended AS (
    SELECT DISTINCT ON (d.handler, d.order_key) d.id, d.handler, d.order_key, d.attempts
    FROM webhook_deliveries d
    WHERE d.id = ANY($1::uuid[]) AND d.order_key IS NOT NULL
      AND (d.status = 'succeeded' OR (d.status = 'dead' AND d.skipped_at IS NOT NULL))
  ),
  heads AS (
    SELECT h.id, 'next' || ended.attempts || '.' || ended.id AS job_id
    FROM ended, LATERAL (
      SELECT o.id, o.status, o.next_attempt_at FROM webhook_deliveries o
      WHERE o.handler = ended.handler AND o.order_key = ended.order_key AND ${HOLDS_KEY('o')}
      ORDER BY o.order_position LIMIT 1
    ) h
    WHERE h.status = 'pending' OR (h.status = 'retrying' AND h.next_attempt_at <= now())
  )
  UPDATE webhook_deliveries d SET job_id = heads.job_id, updated_at = now()
  FROM heads WHERE d.id = heads.id
  RETURNING d.id, d.event_id, d.job_id`;

// The head of every key held by a failing delivery (retrying, or dead and not skipped), with what
// waits behind it. Reads the ordered deliveries that hold a key (a partial index).
const BLOCKED_HEADS = `
  WITH heads AS (
    SELECT DISTINCT ON (d.handler, d.order_key)
      d.handler, d.order_key, d.id, d.event_id, d.status, d.attempts, d.max_attempts, d.last_error,
      d.updated_at AS since, d.next_attempt_at, d.order_position, coalesce(d.first_attempt_at, d.created_at) AS blocked_from
    FROM webhook_deliveries d
    WHERE ${HOLDS_KEY('d')} AND ($1::text IS NULL OR d.handler = $1)
    ORDER BY d.handler, d.order_key, d.order_position
  )
  SELECT h.*, (SELECT count(*) FROM webhook_deliveries w
               WHERE w.handler = h.handler AND w.order_key = h.order_key
                 AND w.order_position > h.order_position AND ${HOLDS_KEY('w')})::int AS waiting
  FROM heads h
  WHERE h.status IN ('retrying', 'dead')`;

const HEAD_OF_KEY = `
  SELECT d.handler, d.order_key, d.id, d.event_id, d.status, d.attempts, d.max_attempts, d.last_error,
         d.updated_at AS since, d.next_attempt_at,
         (SELECT count(*) FROM webhook_deliveries w
          WHERE w.handler = d.handler AND w.order_key = d.order_key
            AND w.order_position > d.order_position AND ${HOLDS_KEY('w')})::int AS waiting
  FROM webhook_deliveries d
  WHERE d.handler = $1 AND d.order_key = $2 AND ${HOLDS_KEY('d')}
  ORDER BY d.order_position LIMIT 1`;

// An operator's skip: the head of the key, if it is failing (retrying or dead), stops holding it.
// Locked and re-checked, so a head that started meanwhile is left alone.
const SKIP_HEAD = `
  WITH head AS (
    SELECT d.id FROM webhook_deliveries d
    WHERE d.handler = $1 AND d.order_key = $2 AND ${HOLDS_KEY('d')}
    ORDER BY d.order_position LIMIT 1
    FOR UPDATE
  )
  UPDATE webhook_deliveries d
  SET status = '${SKIPPED.to}', skipped_at = now(), next_attempt_at = NULL, lease_until = NULL, claimed_by = NULL,
      last_error = coalesce(d.last_error, 'skipped by an operator'), updated_at = now()
  FROM head
  WHERE d.id = head.id AND d.skipped_at IS NULL AND (d.status = 'dead' OR ${SKIPPED.guard('d.status')})
  RETURNING d.id, d.event_id`;

// Blocked keys for the metrics: heads that are failing, the deliveries behind them, the oldest.
const ORDERING_BACKLOG = `
  SELECT count(*)::int AS blocked_keys, coalesce(sum(b.waiting), 0)::int AS waiting,
         coalesce(extract(epoch from now() - min(b.blocked_from)), 0)::float8 AS age
  FROM (${BLOCKED_HEADS}) b`;

// The outcomes and the attempts of a run in one round trip. An outcome applies only while the run
// still holds the delivery (its token, this attempt); a result that arrives after another run took
// the delivery over is kept in the history as `taken_over`, never as the outcome. The next
// attempt's time comes from the database's clock. Returns the deliveries whose outcome applied.
const RECORD: Statement = {
  name: 'webhook-inbox:record-attempts',
  text: `
  WITH u AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[])
      AS u(id, attempt, status, error, duration_ms, retry_delay_ms, job_id)
  ),
  outcomes AS (
    UPDATE webhook_deliveries d
    SET status = u.status, last_error = u.error, duration_ms = u.duration_ms,
        next_attempt_at = CASE WHEN u.retry_delay_ms IS NULL THEN NULL
                               ELSE now() + u.retry_delay_ms * interval '1 millisecond' END,
        job_id = coalesce(u.job_id, d.job_id), lease_until = NULL, claimed_by = NULL, updated_at = now(),
        skipped_at = CASE WHEN u.status = 'dead' AND $17::boolean AND d.order_key IS NOT NULL THEN now() END
    FROM u
    WHERE d.id = u.id AND d.claimed_by = $8 AND d.attempts = u.attempt AND ${RETRYING_OR_DEAD[0].guard('d.status')}
    RETURNING d.id
  ),
  attempts AS (
    INSERT INTO webhook_delivery_attempts
      (delivery_id, attempt, outcome, started_at, finished_at, duration_ms, error_message, error_stack, taken_over)
    SELECT a.*, a.delivery_id = ANY($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.id = a.delivery_id)
    FROM unnest($9::uuid[], $10::int[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::int[], $15::text[], $16::text[])
      AS a(delivery_id, attempt, outcome, started_at, finished_at, duration_ms, error_message, error_stack)
  )
  SELECT id FROM outcomes`,
};

// Only while the run still holds the delivery (its token, this attempt): a run that was taken over
// marks nothing, and its transaction is rolled back with the handler's writes.
const MARK_SUCCEEDED = `
  UPDATE webhook_deliveries SET status = '${SUCCEEDED.to}', last_error = NULL, lease_until = NULL, claimed_by = NULL,
    duration_ms = $2, updated_at = now()
  WHERE id = $1 AND claimed_by = $3 AND attempts = $4 AND ${SUCCEEDED.guard('status')}`;

// Extends the leases the run still holds, and counts those another run has taken over meanwhile
// (running under another token). Deliveries the run finished itself are neither.
const RENEW_LEASES = `
  WITH renewed AS (
    UPDATE webhook_deliveries SET lease_until = now() + $3::int * interval '1 millisecond'
    WHERE id = ANY($1::uuid[]) AND claimed_by = $2 AND status = 'running'
  )
  SELECT count(*)::int AS taken_over FROM webhook_deliveries
  WHERE id = ANY($1::uuid[]) AND status = 'running' AND claimed_by IS DISTINCT FROM $2`;

// Deliveries whose job is gone: never started, abandoned by a crashed worker past its lease, or a
// retry whose delayed job was lost.
const STUCK = `
  SELECT id, event_id, handler, status, attempts, max_attempts, job_id FROM webhook_deliveries d
  WHERE status IN ('pending', 'running', 'retrying') AND updated_at < now() - $1::int * interval '1 millisecond'
    AND (status = 'pending'
      OR (status = 'running' AND lease_until < now())
      OR (status = 'retrying' AND next_attempt_at < now() - interval '30 seconds'))
    -- An ordered delivery behind its key's head has no job on purpose: the head's end wakes it.
    AND (d.order_key IS NULL OR NOT EXISTS (
      SELECT 1 FROM webhook_deliveries o
      WHERE o.handler = d.handler AND o.order_key = d.order_key
        AND o.order_position < d.order_position AND ${HOLDS_KEY('o')}))
  ORDER BY updated_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED`;

// Looked at: the next pass looks again only after the stuck threshold has passed once more.
const TOUCH = `UPDATE webhook_deliveries SET updated_at = now() WHERE id = ANY($1::uuid[])`;
const MOVE_TO_JOB = `
  UPDATE webhook_deliveries d SET job_id = j.job_id, updated_at = now()
  FROM unnest($1::uuid[], $2::text[]) AS j(id, job_id) WHERE d.id = j.id`;

// A delivery whose last allowed attempt never finished (its worker died every time, e.g. the
// event makes the process crash) is not run again: it is dead, so that it cannot loop forever.
const ABANDON = `
  UPDATE webhook_deliveries
  SET status = '${ABANDONED.to}', last_error = 'the worker stopped during the last attempt (crashed or was killed)',
      lease_until = NULL, claimed_by = NULL, updated_at = now(),
      skipped_at = CASE WHEN order_key IS NOT NULL AND handler = ANY($2::text[]) THEN now() END
  WHERE id = ANY($1::uuid[]) AND ${ABANDONED.guard('status')}`;

// Re-opens finished deliveries. The attempt count is kept (the attempt log keeps numbering on) and
// the budget renewed: max_attempts = attempts so far + the handler's attempts. Only finished rows
// qualify, re-checked under the row lock, so a delivery that is pending or running is never
// queued twice: replaying twice in a row finds nothing left to do the second time.
const REOPEN = `
  WITH chosen AS (
    SELECT d.id, d.status FROM webhook_deliveries d
    WHERE d.event_id = ANY($1::uuid[]) AND d.handler = ANY($2::text[]) AND d.status = ANY($4::text[])
    FOR UPDATE
  )
  UPDATE webhook_deliveries d
  SET status = '${REOPENED.to}', max_attempts = d.attempts + h.attempts, next_attempt_at = NULL,
      lease_until = NULL, claimed_by = NULL, skipped_at = NULL, updated_at = now()
  FROM chosen, unnest($2::text[], $3::int[]) AS h(handler, attempts)
  WHERE d.id = chosen.id AND h.handler = d.handler AND d.status = ANY($4::text[])
  RETURNING d.id, d.event_id, d.handler, chosen.status AS previous_status`;

// Handlers added after the event was dispatched (or an event that was ignored) get their delivery now.
// An ordered handler's delivery takes its place in its key by the event's inbox position.
const CREATE_MISSING = `
  INSERT INTO webhook_deliveries (event_id, handler, max_attempts, order_key, order_position)
  SELECT m.event_id, m.handler, m.max_attempts, m.order_key, CASE WHEN m.order_key IS NOT NULL THEN e.seq END
  FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS m(event_id, handler, max_attempts, order_key)
  JOIN webhook_events e ON e.id = m.event_id
  ON CONFLICT (event_id, handler) DO NOTHING
  RETURNING id, event_id, handler`;

const OF_EVENT = 'SELECT handler, status FROM webhook_deliveries WHERE event_id = $1 ORDER BY handler';
const COUNTS_BY_HANDLER =
  'SELECT handler, status, count(*)::int AS count FROM webhook_deliveries GROUP BY handler, status';
const DEAD_DETAIL = `
  SELECT d.id AS delivery_id, d.handler, d.attempts, d.last_error, e.id AS event_id, e.external_id, e.type, e.source
  FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1`;
const DEAD_BY_HANDLER = `SELECT handler, count(*)::int AS count FROM webhook_deliveries WHERE status = 'dead' GROUP BY handler`;

/** The rows a statement returned through TypeORM, whatever the command (it wraps UPDATE results otherwise). */
async function rowsOf<T>(manager: EntityManager, sql: string, parameters: unknown[]): Promise<T[]> {
  const result = await manager.queryRunner!.query(sql, parameters, true);
  return result.records as T[];
}

/** Every statement on webhook_deliveries and webhook_delivery_attempts. */
@Injectable()
export class DeliveryStore {
  /** Every event below this inbox position is known to be dispatched (see START_ORDERED). */
  private frontierHint = '0';

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly events: EventStore,
  ) {}

  /** Marks ignored events, queues the others and creates their deliveries; returns those created. */
  async plan(plan: DeliveryPlan): Promise<PlannedRow[]> {
    const { rows } = await this.pool.query<PlannedRow>({
      ...PLAN,
      values: [
        plan.ignoredEventIds,
        plan.handledEventIds,
        plan.deliveries.map((d) => d.eventId),
        plan.deliveries.map((d) => d.handler),
        plan.deliveries.map((d) => d.maxAttempts),
        plan.deliveries.map((d) => d.jobId),
        plan.deliveries.map((d) => d.orderKey ?? null),
        plan.deliveries.map((d) => d.refusal ?? null),
      ],
    });
    return rows;
  }

  /**
   * Starts the due deliveries of `handler` for these events under the run's token: each is
   * `running` with a lease, and its attempt is counted. Deliveries not due (finished, waiting for
   * their retry time, held by another run) are left alone.
   */
  async start(
    handler: string,
    eventIds: readonly string[],
    run: string,
    leaseMs: number,
    endedRuns: readonly string[] = [],
  ): Promise<StartedDelivery[]> {
    const { rows } = await this.pool.query<StartedDelivery>({
      ...START,
      values: [eventIds, handler, run, leaseMs, endedRuns],
    });
    return rows;
  }

  /**
   * `start` for a handler with `orderBy`: only deliveries at the head of their key start (see
   * IS_HEAD). The others are left pending: a head's end wakes the next (`wakeNext`), and the
   * events past the frontier are returned for the caller to try again shortly.
   */
  async startOrdered(
    handler: string,
    eventIds: readonly string[],
    run: string,
    leaseMs: number,
    endedRuns: readonly string[] = [],
  ): Promise<OrderedStart> {
    const { rows } = await this.pool.query<StartedDelivery & { frontier: string; beyond: string[] }>({
      ...START_ORDERED,
      values: [eventIds, handler, run, leaseMs, endedRuns, this.frontierHint],
    });
    const { frontier, beyond } = rows[0];
    // Only ever raised: every event below a frontier once seen stays dispatched.
    if (BigInt(frontier) > BigInt(this.frontierHint)) this.frontierHint = frontier;
    const started = rows.filter((row) => row.id !== null).map(({ frontier: _f, beyond: _b, ...delivery }) => delivery);
    return { started, frontier, beyondFrontier: beyond };
  }

  /**
   * After ordered deliveries ended (succeeded, or dead and skipped): the next delivery of each of
   * their keys that can run now, each noted on a job of its own; the caller queues those jobs.
   */
  async wakeNext(endedDeliveryIds: readonly string[]): Promise<WokenDelivery[]> {
    if (endedDeliveryIds.length === 0) return [];
    return (await this.pool.query<WokenDelivery>(WAKE_NEXT, [endedDeliveryIds])).rows;
  }

  /** The failing heads of ordered keys (retrying, or dead and not skipped), optionally of one handler. */
  async blockedHeads(handler?: string): Promise<KeyHead[]> {
    const { rows } = await this.pool.query<KeyHead>(`${BLOCKED_HEADS} ORDER BY h.handler, h.since LIMIT 10000`, [
      handler ?? null,
    ]);
    return rows;
  }

  /** The head of one key (the earliest delivery still holding it), or undefined when nothing holds it. */
  async headOfKey(handler: string, key: string): Promise<KeyHead | undefined> {
    const { rows } = await this.pool.query<KeyHead>(HEAD_OF_KEY, [handler, key]);
    return rows[0];
  }

  /**
   * An operator's skip of a key's failing head: it becomes (or stays) dead and stops holding the
   * key; its event is finished. Undefined when the head is not failing (it started meanwhile).
   */
  async skipHead(handler: string, key: string): Promise<{ id: string; event_id: string } | undefined> {
    const skipped = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: string; event_id: string }>(SKIP_HEAD, [handler, key]);
      if (rows[0]) await this.events.finish([rows[0].event_id], client);
      return rows[0];
    });
    return skipped;
  }

  async orderingBacklog(): Promise<OrderingBacklog> {
    const { rows } = await this.pool.query<{ blocked_keys: number; waiting: number; age: number }>(ORDERING_BACKLOG, [
      null,
    ]);
    return { blockedKeys: rows[0].blocked_keys, waiting: rows[0].waiting, oldestAgeSeconds: rows[0].age };
  }

  /**
   * Inside a handler's transaction: the success mark that commits with the handler's effect, made
   * only while the run still holds the delivery. False when another run took it over: the caller
   * rolls the transaction back.
   */
  async markSucceeded(
    manager: EntityManager,
    deliveryId: string,
    run: string,
    attempt: number,
    durationMs: number,
  ): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [, affected] = await manager.query<[unknown, number]>(MARK_SUCCEEDED, [deliveryId, durationMs, run, attempt]);
    return affected === 1;
  }

  /**
   * Records the attempts of a run, and the outcomes not recorded by a handler's transaction while
   * the run still holds those deliveries. Returns the ids whose outcome applied.
   */
  async record(run: string, attempts: readonly AttemptRecord[], skipDead = false): Promise<Set<string>> {
    if (attempts.length === 0) return new Set();
    const outcomes = attempts.filter((a) => a.status !== undefined);
    const { rows } = await this.pool.query<{ id: string }>({
      ...RECORD,
      values: [
        outcomes.map((o) => o.deliveryId),
        outcomes.map((o) => o.attempt),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.error),
        outcomes.map((o) => durationOf(o)),
        outcomes.map((o) => o.retryDelayMs ?? null),
        outcomes.map((o) => o.retryJobId ?? null),
        run,
        attempts.map((a) => a.deliveryId),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.outcome),
        attempts.map((a) => a.startedAt),
        attempts.map((a) => a.finishedAt),
        attempts.map((a) => durationOf(a)),
        attempts.map((a) => a.error),
        attempts.map((a) => a.stack),
        skipDead,
      ],
    });
    return new Set(rows.map((row) => row.id));
  }

  /** Extends the leases of these deliveries of `run`; returns how many another run has taken over. */
  async renewLeases(deliveryIds: readonly string[], run: string, leaseMs: number): Promise<number> {
    if (deliveryIds.length === 0) return 0;
    const { rows } = await this.pool.query<{ taken_over: number }>(RENEW_LEASES, [deliveryIds, run, leaseMs]);
    return rows[0].taken_over;
  }

  /**
   * Takes up to `limit` deliveries untouched for `stuckAfterMs` that may have lost their job, under
   * row locks. Those whose last allowed attempt never finished are marked dead (and their events
   * finished); for the others `decide` says which still have their job and which it put on a new
   * job. Everything looked at is touched, so the next pass waits for it again.
   */
  recoverStuck(
    stuckAfterMs: number,
    limit: number,
    decide: (deliveries: StuckDelivery[]) => Promise<StuckDecision>,
    skipDeadOf: readonly string[] = [],
  ): Promise<{ requeued: number; waiting: number; abandoned: number }> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<StuckDelivery>(STUCK, [stuckAfterMs, limit]);
      if (rows.length === 0) return { requeued: 0, waiting: 0, abandoned: 0 };
      const abandoned = rows.filter((row) => row.status === 'running' && row.attempts >= row.max_attempts);
      const others = rows.filter((row) => !abandoned.includes(row));
      const { waiting, requeued } = others.length > 0 ? await decide(others) : { waiting: [], requeued: [] };
      await client.query(TOUCH, [others.map((row) => row.id)]);
      if (requeued.length > 0) {
        await client.query(MOVE_TO_JOB, [requeued.map((r) => r.id), requeued.map((r) => r.jobId)]);
      }
      if (abandoned.length > 0) {
        await client.query(ABANDON, [abandoned.map((row) => row.id), skipDeadOf]);
        await this.events.finish(
          abandoned.map((row) => row.event_id),
          client,
        );
      }
      return { requeued: requeued.length, waiting: waiting.length, abandoned: abandoned.length };
    });
  }

  /** Replay: re-opens the deliveries of these handlers in `statuses` (inside the replay's transaction). */
  reopen(
    manager: EntityManager,
    eventIds: readonly string[],
    handlers: readonly { name: string; attempts: number }[],
    statuses: readonly DeliveryStatus[],
  ): Promise<ReopenedDelivery[]> {
    for (const status of statuses)
      if (!REOPENED.from.includes(status)) throw new Error(`cannot reopen a ${status} delivery`);
    return rowsOf<ReopenedDelivery>(manager, REOPEN, [
      eventIds,
      handlers.map((h) => h.name),
      handlers.map((h) => h.attempts),
      statuses,
    ]);
  }

  /** Replay: creates the deliveries that do not exist yet (inside the replay's transaction). */
  async createMissing(
    manager: EntityManager,
    deliveries: readonly { eventId: string; handler: string; maxAttempts: number; orderKey?: string | null }[],
  ): Promise<ReopenedDelivery[]> {
    if (deliveries.length === 0) return [];
    const created = await rowsOf<Omit<ReopenedDelivery, 'previous_status'>>(manager, CREATE_MISSING, [
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.handler),
      deliveries.map((d) => d.maxAttempts),
      deliveries.map((d) => d.orderKey ?? null),
    ]);
    return created.map((row) => ({ ...row, previous_status: 'missing' as const }));
  }

  /** Replay: notes the job each re-opened delivery goes on (inside the replay's transaction). */
  async assignJobs(manager: EntityManager, assignments: readonly { id: string; jobId: string }[]): Promise<void> {
    if (assignments.length === 0) return;
    await manager.query(MOVE_TO_JOB, [assignments.map((a) => a.id), assignments.map((a) => a.jobId)]);
  }

  async ofEvent(eventId: string): Promise<{ handler: string; status: DeliveryStatus }[]> {
    return (await this.pool.query(OF_EVENT, [eventId])).rows;
  }

  async countsByHandler(): Promise<{ handler: string; status: DeliveryStatus; count: number }[]> {
    return (await this.pool.query(COUNTS_BY_HANDLER)).rows;
  }

  async deadByHandler(): Promise<{ handler: string; count: number }[]> {
    return (await this.pool.query(DEAD_BY_HANDLER)).rows;
  }

  /** What an alert about a dead delivery tells: its event and the last error. */
  async deadDetail(deliveryId: string): Promise<DeadDeliveryDetail | undefined> {
    return (await this.pool.query<DeadDeliveryDetail>(DEAD_DETAIL, [deliveryId])).rows[0];
  }
}

const durationOf = (attempt: AttemptRecord) => attempt.finishedAt.getTime() - attempt.startedAt.getTime();
