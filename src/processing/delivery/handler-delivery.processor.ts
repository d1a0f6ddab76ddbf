import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import type { Pool, QueryConfig } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { pgPool } from '../../database/pg-pool.js';
import { InboxMetrics } from '../../ops/metrics/inbox-metrics.js';
import type { AttemptOutcome } from '../../inbox/entities/delivery-attempt.entity.js';
import { DELIVERY_LEASE_MS } from './delivery-leases.js';
import { HandlerTimeoutError, untilAborted } from '../../shared/time-limits.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { PermanentWebhookError, WebhookEvent, WebhookHandlerContext } from '../api/webhook-handler.interface.js';
import { backoffDelay, RegisteredHandler } from '../discovery/webhook-handler.registry.js';

interface ClaimedDelivery {
  id: string;
  event_id: string;
  attempts: number;
  max_attempts: number;
  type: string;
  source: string;
  external_id: string;
  payload: Record<string, unknown>;
  received_at: Date;
}

interface AttemptResult {
  delivery: ClaimedDelivery;
  outcome: AttemptOutcome;
  startedAt: Date;
  finishedAt: Date;
  error?: Error;
  /** The transaction already marked it succeeded. */
  committed?: boolean;
}

// The statements below are named (each connection parses and plans them once) and driven by the
// job's id list, one index probe per id. Their status tests are CASEs on purpose: as plain
// `status IN (...)` the planner may use the status indexes instead (whenever the statistics say
// few rows wait), and those read the whole backlog of waiting events or deliveries every time.

// Takes the deliveries of this job that are due. A row stays claimed (`running`) under this job's
// id: if the job is run again (BullMQ stalled-job recovery after a crash) it takes them back;
// anything else waits for the lease to pass (the relay then re-queues it).
const CLAIM: Pick<QueryConfig, 'name' | 'text'> = {
  name: 'webhook-inbox:claim-deliveries',
  text: `
  UPDATE webhook_deliveries d
  SET status = 'running', attempts = d.attempts + 1, claimed_by = $3,
      first_attempt_at = coalesce(d.first_attempt_at, now()), last_attempt_at = now(),
      lease_until = now() + $4::int * interval '1 millisecond', updated_at = now()
  FROM unnest($1::uuid[]) AS k(event_id), webhook_events e
  WHERE d.event_id = k.event_id AND d.handler = $2 AND e.id = d.event_id
    -- "Is it due?" as one CASE, which no index matches: as OR-ed status tests the planner reads
    -- every pending delivery of the handler through the (handler, status) index instead.
    AND CASE d.status
          WHEN 'pending' THEN true
          WHEN 'retrying' THEN d.next_attempt_at <= now() + interval '1 second'
          WHEN 'running' THEN d.claimed_by = $3 OR d.lease_until < now()
          ELSE false
        END
  RETURNING d.id, d.event_id, d.attempts, d.max_attempts, e.type, e.source, e.external_id, e.payload, e.received_at`,
};

// The outcomes and the attempts of a whole job in one round trip. `attempts = u.attempt` ignores
// rows that another run has taken over meanwhile (the attempt itself is still recorded: it ran).
const RECORD: Pick<QueryConfig, 'name' | 'text'> = {
  name: 'webhook-inbox:record-attempts',
  text: `
  WITH u AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[], $6::timestamptz[])
      AS u(id, attempt, status, error, duration_ms, next_attempt_at)
  ),
  outcomes AS (
    UPDATE webhook_deliveries d
    SET status = u.status, last_error = u.error, duration_ms = u.duration_ms, next_attempt_at = u.next_attempt_at,
        lease_until = NULL, claimed_by = NULL, updated_at = now()
    FROM u
    WHERE d.id = u.id AND d.attempts = u.attempt AND d.status = 'running'
  )
  INSERT INTO webhook_delivery_attempts
    (delivery_id, attempt, outcome, started_at, finished_at, duration_ms, error_message, error_stack)
  SELECT * FROM unnest($7::uuid[], $8::int[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::int[], $13::text[], $14::text[])`,
};

// An event is finished when none of its deliveries can still run: failed if any is dead. A
// statement of its own, after RECORD committed: it must see what other jobs (other handlers of
// the same event) committed meanwhile, or two handlers finishing together would each wait for
// the other and leave the event unfinished.
const FINISH_EVENTS: Pick<QueryConfig, 'name' | 'text'> = {
  name: 'webhook-inbox:finish-events',
  text: `
  UPDATE webhook_events e
  SET status = CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'dead')
                    THEN 'failed' ELSE 'processed' END,
      processed_at = now()
  FROM unnest($1::uuid[]) AS k(id)
  WHERE e.id = k.id AND CASE WHEN e.status IN ('queued', 'received', 'processed', 'failed') THEN true END
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                    WHERE d.event_id = e.id AND CASE WHEN d.status IN ('pending', 'running', 'retrying') THEN true END)`,
};

const ERROR_MESSAGE_LIMIT = 2000;
const STACK_LINES = 12;

/**
 * Runs one handler over the events of one job and records what happened. Per-handler retries
 * live here and only here: a failed delivery becomes `retrying` with its next time, and one
 * delayed job is added for it; after its last attempt (or a permanent error) it is `dead`.
 */
@Injectable()
export class HandlerDeliveryProcessor {
  private readonly logger = new Logger(HandlerDeliveryProcessor.name);
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: InboxQueues,
    // Recorded when MetricsModule is loaded (GET /metrics); the inbox also runs without it.
    @Optional() private readonly metrics?: InboxMetrics,
  ) {
    this.pool = pgPool(dataSource);
  }

  async process(handler: RegisteredHandler, eventIds: string[], jobId: string, shutdown: AbortSignal): Promise<void> {
    // Renewed while the job runs (DeliveryLeases in InboxWorkers): a job that is gone frees its
    // deliveries for the relay within a minute, however many events it carried.
    const leaseMs = DELIVERY_LEASE_MS;
    const { rows: claimed } = await this.pool.query<ClaimedDelivery>({ ...CLAIM, values: [eventIds, handler.name, jobId, leaseMs] });
    if (claimed.length === 0) return;

    const results: AttemptResult[] = [];
    for (const delivery of claimed) {
      const result = await this.attempt(handler, delivery, shutdown);
      if (result) results.push(result);
    }
    await this.record(handler, results);
    await this.pool.query({ ...FINISH_EVENTS, values: [claimed.map((delivery) => delivery.event_id)] });
  }

  /** One run of the handler for one event; undefined when another run had taken the delivery over. */
  private async attempt(
    handler: RegisteredHandler,
    delivery: ClaimedDelivery,
    shutdown: AbortSignal,
  ): Promise<AttemptResult | undefined> {
    const startedAt = new Date();
    const done = (outcome: AttemptOutcome, error?: Error, committed = false): AttemptResult => ({
      delivery, outcome, startedAt, finishedAt: new Date(), error, committed,
    });

    // Every line about this delivery carries these fields (pino merges them into the JSON line).
    const fields = { eventId: delivery.event_id, type: delivery.type, handler: handler.name, deliveryId: delivery.id };
    const logger = contextLogger(this.logger, fields);
    const payload = delivery.payload;
    let data = payload.data as Record<string, unknown>;
    if (handler.dto) {
      const instance = plainToInstance(handler.dto, data) as Record<string, unknown>;
      const errors = await validate(instance, { forbidUnknownValues: false });
      if (errors.length > 0) {
        const error = new PermanentWebhookError(`data is invalid: ${flatten(errors).join('; ')}`);
        logger.warn(`not run, delivery dead: ${error.message}`);
        return done('invalid', error);
      }
      data = instance;
    }
    const event: WebhookEvent = {
      id: delivery.event_id,
      externalId: delivery.external_id,
      source: delivery.source,
      type: delivery.type,
      data,
      createdAt: typeof payload.created_at === 'string' ? payload.created_at : undefined,
      receivedAt: delivery.received_at,
      payload,
    };

    const timeout = AbortSignal.timeout(handler.timeoutMs);
    const signal = AbortSignal.any([timeout, shutdown]);
    const context: Omit<WebhookHandlerContext, 'manager'> = {
      deliveryId: delivery.id,
      attempt: delivery.attempts,
      maxAttempts: delivery.max_attempts,
      signal,
      logger,
    };
    const aborted = () =>
      timeout.aborted ? new HandlerTimeoutError(handler.name, handler.timeoutMs) : new Error('worker is shutting down');

    try {
      if (!handler.transactional) {
        await untilAborted(Promise.resolve().then(() => handler.instance.handle(event, { ...context, manager: this.dataSource.manager })), signal);
        return done('succeeded');
      }
      const applied = await this.dataSource.transaction(async (manager) => {
        if (!(await this.stillOwned(manager, delivery))) return false;
        await untilAborted(Promise.resolve().then(() => handler.instance.handle(event, { ...context, manager })), signal);
        // The effect and the success mark commit together: a retry after a crash finds `succeeded`.
        await manager.query(
          `UPDATE webhook_deliveries SET status = 'succeeded', last_error = NULL, lease_until = NULL, claimed_by = NULL,
             duration_ms = $2, updated_at = now() WHERE id = $1`,
          [delivery.id, Date.now() - startedAt.getTime()],
        );
        return true;
      });
      return applied ? done('succeeded', undefined, true) : undefined;
    } catch (caught) {
      const error = signal.aborted ? aborted() : toError(caught);
      context.logger.warn(`attempt ${delivery.attempts}/${delivery.max_attempts} failed: ${error.message}`);
      return done(error instanceof HandlerTimeoutError ? 'timed_out' : error instanceof PermanentWebhookError ? 'invalid' : 'failed', error);
    }
  }

  /** Inside the transaction: lock the delivery and check no other run took it over meanwhile. */
  private async stillOwned(manager: EntityManager, delivery: ClaimedDelivery): Promise<boolean> {
    const rows: { status: string; attempts: number }[] = await manager.query(
      'SELECT status, attempts FROM webhook_deliveries WHERE id = $1 FOR UPDATE',
      [delivery.id],
    );
    return rows[0]?.status === 'running' && rows[0].attempts === delivery.attempts;
  }

  private async record(handler: RegisteredHandler, results: AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    const retries: { eventId: string; attempt: number; delayMs: number }[] = [];
    const outcomes = results.filter((result) => !result.committed).map((result) => {
      const { delivery, outcome, error } = result;
      let status = 'succeeded';
      let nextAttemptAt: Date | null = null;
      if (outcome !== 'succeeded') {
        const permanent = outcome === 'invalid';
        if (permanent || delivery.attempts >= delivery.max_attempts) {
          status = 'dead';
        } else {
          status = 'retrying';
          const delayMs = backoffDelay(handler.backoff, delivery.attempts);
          nextAttemptAt = new Date(Date.now() + delayMs);
          retries.push({ eventId: delivery.event_id, attempt: delivery.attempts, delayMs });
        }
      }
      return { id: delivery.id, attempt: delivery.attempts, status, error: error ? messageOf(error) : null,
        durationMs: duration(result), nextAttemptAt };
    });

    await this.pool.query({
      ...RECORD,
      values: [
        outcomes.map((o) => o.id),
        outcomes.map((o) => o.attempt),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.error),
        outcomes.map((o) => o.durationMs),
        outcomes.map((o) => o.nextAttemptAt),
        results.map((r) => r.delivery.id),
        results.map((r) => r.delivery.attempts),
        results.map((r) => r.outcome),
        results.map((r) => r.startedAt),
        results.map((r) => r.finishedAt),
        results.map((r) => duration(r)),
        results.map((r) => (r.error ? messageOf(r.error) : null)),
        results.map((r) => (r.error?.stack ? r.error.stack.split('\n').slice(0, STACK_LINES).join('\n') : null)),
      ],
    });
    if (this.metrics) {
      for (const result of results) this.metrics.handlerAttempt(handler.name, result.outcome, duration(result));
      for (const outcome of outcomes) if (outcome.status === 'dead') this.metrics.deliveryDead(handler.name);
    }
    // The retry's time is in Postgres; the delayed job is only the alarm clock. If adding it fails
    // (Redis down) the relay re-queues the delivery once it is overdue.
    await Promise.all(
      retries.map((retry) =>
        this.queues
          .runHandler(handler, [retry.eventId], `retry${retry.attempt}`, { delay: retry.delayMs })
          .catch((error: Error) => this.logger.warn(`could not schedule a retry, the relay will: ${error.message}`)),
      ),
    );
  }
}

const duration = (result: AttemptResult) => result.finishedAt.getTime() - result.startedAt.getTime();
const messageOf = (error: Error) => (error.message || error.name).slice(0, ERROR_MESSAGE_LIMIT);

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`handler threw a non-Error value: ${String(value)}`);
}

function flatten(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const property = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${path ? `${path}.` : ''}${message}` : `${property}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], property)];
  });
}

/** A logger whose every line carries the event's fields (merged into the JSON line by pino). */
function contextLogger(logger: Logger, fields: Record<string, string>): WebhookHandlerContext['logger'] {
  return {
    log: (message: unknown) => logger.log({ ...fields, msg: message }),
    warn: (message: unknown) => logger.warn({ ...fields, msg: message }),
    error: (message: unknown) => logger.error({ ...fields, msg: message }),
    debug: (message: unknown) => logger.debug({ ...fields, msg: message }),
  };
}
