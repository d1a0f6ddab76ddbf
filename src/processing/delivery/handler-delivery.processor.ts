import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InboxEvents, type DeliveryAttemptedEvent, type DeliveryDeadEvent } from '../../inbox/inbox-events.js';
import { DeliveryStore, type AttemptRecord, type StartedDelivery } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import type { AttemptOutcome } from '../../inbox/entities/delivery-attempt.entity.js';
import { DELIVERY_LEASE_MS, DeliveryLeases } from './delivery-leases.js';
import { RunInterruptedError, type DeliveryRun } from './delivery-run.js';
import { HandlerSlots } from './handler-slots.js';
import { traced } from './attempt-span.js';
import { invokeHandler } from './handler-invocation.js';
import { SourceData } from './source-data.js';
import { handlerJobs, InboxQueues, type HandlerJob } from '../../inbox/inbox-queues.js';
import { backoffDelay, RegisteredHandler } from '../discovery/webhook-handler.registry.js';

interface AttemptResult {
  delivery: StartedDelivery;
  outcome: AttemptOutcome;
  startedAt: Date;
  finishedAt: Date;
  error?: Error;
  /** The transaction already marked it succeeded. */
  committed?: boolean;
}

const ERROR_MESSAGE_LIMIT = 2000;
const STACK_LINES = 12;
const MAX_REMEMBERED_JOBS = 10_000;
/**
 * How soon an ordered delivery held back by an earlier event that is not dispatched yet is tried
 * again: 250 ms, doubling each time it is still held, up to 8 s. Usually that event's dispatch job
 * is a few milliseconds behind (dispatch runs several jobs at once); after a lost dispatch it
 * waits for the relay, and the growing delay keeps the held jobs from polling Postgres meanwhile.
 */
const FRONTIER_RETRY_MS = 250;
const FRONTIER_RETRY_MAX_MS = 8000;
const FRONTIER_JOB = /^frontier(\d+)\./;

/**
 * Runs one handler over the events of one job and records what happened. Per-handler retries
 * live here and only here: a failed delivery becomes `retrying` with its next time (the
 * database's clock), and one delayed job is added for it; after its last attempt (or a permanent
 * error) it is `dead`.
 *
 * The deliveries of a job run concurrently, up to the handler's `concurrency` per process (shared
 * by all its jobs). Each is started (its attempt counted) just before it runs, under the run's
 * token; the run stops starting deliveries as soon as it is shut down or loses what it holds.
 */
@Injectable()
export class HandlerDeliveryProcessor {
  private readonly logger = new Logger(HandlerDeliveryProcessor.name);
  private readonly slots = new Map<string, HandlerSlots>();
  /**
   * Runs of a job that ended in this process without recording what they started (Postgres went
   * away): the job's next run here may take their deliveries over without waiting for the lease.
   */
  private readonly endedRuns = new Map<string, string[]>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryStore,
    private readonly events: EventStore,
    private readonly queues: InboxQueues,
    private readonly leases: DeliveryLeases,
    private readonly lifecycle: EventEmitter2,
    private readonly sourceData: SourceData,
  ) {}

  async process(handler: RegisteredHandler, eventIds: string[], run: DeliveryRun): Promise<void> {
    const slots = this.slotsOf(handler);
    const toStart = [...new Set(eventIds)];
    // Started and not yet recorded: their leases are renewed until the outcomes are written.
    const held = new Map<string, StartedDelivery>();
    const startedAll: StartedDelivery[] = [];
    const attempts: Promise<AttemptResult | undefined>[] = [];
    const keeper = this.leases.keep(run, () => [...held.keys()]);
    // Ordered deliveries that could not start because an earlier event is not dispatched yet.
    const deferred = new Set<string>();
    let failure: unknown;
    try {
      for (let next = 0; next < toStart.length;) {
        const taken = await slots.take(toStart.length - next);
        if (run.stopReason) {
          slots.give(taken);
          break;
        }
        const batch = toStart.slice(next, next + taken);
        next += taken;
        let started: StartedDelivery[];
        try {
          const ended = this.endedRuns.get(run.jobId) ?? [];
          if (handler.ordering) {
            const ordered = await this.deliveries.startOrdered(
              handler.name,
              batch,
              run.token,
              DELIVERY_LEASE_MS,
              ended,
            );
            started = ordered.started;
            for (const eventId of ordered.beyondFrontier) deferred.add(eventId);
          } else {
            started = await this.deliveries.start(handler.name, batch, run.token, DELIVERY_LEASE_MS, ended);
          }
        } catch (error) {
          slots.give(taken);
          throw error;
        }
        slots.give(taken - started.length);
        for (const delivery of started) {
          held.set(delivery.id, delivery);
          const attempt = traced(handler, delivery, () => this.attempt(handler, delivery, run)).then((result) => {
            // Its transaction recorded the success and released the claim: no lease to keep.
            if (result?.committed || result === undefined) held.delete(delivery.id);
            return result;
          });
          attempts.push(attempt.finally(() => slots.give(1)));
          startedAll.push(delivery);
        }
      }
    } catch (error) {
      failure = error;
    }
    try {
      const results = (await Promise.all(attempts)).filter((result) => result !== undefined);
      const freed = await this.record(handler, run, results);
      this.endedRuns.delete(run.jobId);
      await this.events.finish([...new Set(startedAll.map((delivery) => delivery.event_id))]);
      if (handler.ordering) await this.continueKeys(handler, run, freed, [...deferred]);
    } catch (error) {
      if (held.size > 0) this.rememberEnded(run);
      throw error;
    } finally {
      keeper.stop();
    }
    if (failure) throw failure;
    // What was not started runs when BullMQ tries the job again (it carries the same events).
    if (run.stopReason && startedAll.length < toStart.length) throw new RunInterruptedError(run.stopReason);
  }

  /**
   * Ordered handlers: the next delivery of each key whose head ended goes on a job of its own, and
   * the deliveries held back by an event not dispatched yet are tried again shortly. If Redis
   * refuses, nothing is lost: the relay queues a key's head once it has waited long enough.
   */
  private async continueKeys(
    handler: RegisteredHandler,
    run: DeliveryRun,
    freed: string[],
    deferred: string[],
  ): Promise<void> {
    const woken = await this.deliveries.wakeNext(freed);
    const jobs = woken.map((delivery) => ({ id: delivery.job_id, eventIds: [delivery.event_id] }));
    await this.queues
      .addHandlerJobs(handler.name, jobs)
      .catch((error: Error) =>
        this.logger.warn(`could not queue the next deliveries of keys, the relay will: ${error.message}`),
      );
    if (deferred.length === 0) return;
    const held = Number(FRONTIER_JOB.exec(run.jobId)?.[1] ?? 0);
    await this.queues
      .addHandlerJobs(handler.name, handlerJobs(handler, deferred, `frontier${held + 1}.${Date.now()}`), {
        delay: Math.min(FRONTIER_RETRY_MAX_MS, FRONTIER_RETRY_MS * 2 ** held),
      })
      .catch((error: Error) => this.logger.warn(`could not queue deliveries held by the frontier: ${error.message}`));
  }

  private rememberEnded(run: DeliveryRun): void {
    this.endedRuns.set(run.jobId, [...(this.endedRuns.get(run.jobId) ?? []), run.token]);
    // Bounded: a job that never comes back to this process must not be remembered forever.
    if (this.endedRuns.size > MAX_REMEMBERED_JOBS) this.endedRuns.delete(this.endedRuns.keys().next().value!);
  }

  private slotsOf(handler: RegisteredHandler): HandlerSlots {
    let slots = this.slots.get(handler.name);
    if (!slots) this.slots.set(handler.name, (slots = new HandlerSlots(handler.concurrency)));
    return slots;
  }

  /** One run of the handler for one event; undefined when another run had taken the delivery over. */
  private async attempt(
    handler: RegisteredHandler,
    delivery: StartedDelivery,
    run: DeliveryRun,
  ): Promise<AttemptResult | undefined> {
    const startedAt = new Date();
    const payload = delivery.payload;
    const result = await invokeHandler(
      this.dataSource,
      {
        handler,
        event: {
          id: delivery.event_id,
          externalId: delivery.external_id,
          source: delivery.source,
          type: delivery.type,
          data: this.sourceData.of(delivery.source, payload),
          createdAt: typeof payload.created_at === 'string' ? payload.created_at : undefined,
          receivedAt: delivery.received_at,
          payload,
        },
        deliveryId: delivery.id,
        attempt: delivery.attempts,
        maxAttempts: delivery.max_attempts,
        shutdown: run.shutdown,
        // The effect and the success mark commit together: a retry after a crash finds `succeeded`.
        // If another run took the delivery over meanwhile, nothing of this run's commits.
        beforeCommit: (manager) =>
          this.deliveries.markSucceeded(
            manager,
            delivery.id,
            run.token,
            delivery.attempts,
            Date.now() - startedAt.getTime(),
          ),
      },
      this.logger,
    );
    if (result.rolledBack) {
      this.logger.warn({
        eventId: delivery.event_id,
        handler: handler.name,
        deliveryId: delivery.id,
        msg: `attempt ${delivery.attempts} rolled back: another run took the delivery over`,
      });
      return undefined;
    }
    return {
      delivery,
      outcome: result.outcome,
      startedAt,
      finishedAt: new Date(),
      error: result.error,
      committed: result.committed,
    };
  }

  /**
   * Writes the run's attempts and outcomes in one statement, then publishes them and schedules the
   * retries. An outcome that arrived after another run took the delivery over is only history.
   */
  private async record(handler: RegisteredHandler, run: DeliveryRun, results: AttemptResult[]): Promise<string[]> {
    if (results.length === 0) return [];
    const retries = new Map<string, HandlerJob>();
    const records: AttemptRecord[] = results.map((result) => {
      const { delivery, outcome, error } = result;
      const record: AttemptRecord = {
        deliveryId: delivery.id,
        attempt: delivery.attempts,
        outcome,
        startedAt: result.startedAt,
        finishedAt: result.finishedAt,
        error: error ? messageOf(error) : null,
        stack: error?.stack ? error.stack.split('\n').slice(0, STACK_LINES).join('\n') : null,
      };
      if (result.committed) return record;
      if (outcome === 'succeeded') return { ...record, status: 'succeeded' };
      if (outcome === 'invalid' || delivery.attempts >= delivery.max_attempts) return { ...record, status: 'dead' };
      const [job] = handlerJobs(handler, [delivery.event_id], `retry${delivery.attempts}`);
      retries.set(delivery.id, job);
      return {
        ...record,
        status: 'retrying',
        retryDelayMs: backoffDelay(handler.backoff, delivery.attempts),
        retryJobId: job.id,
      };
    });
    const skipDead = handler.ordering?.onDead === 'skip';
    const applied = await this.deliveries.record(run.token, records, skipDead);
    // The deliveries that no longer hold their key (ordered handlers): succeeded, or dead and skipped.
    const freed = results
      .filter((result, i) => {
        const status = records[i].status;
        if (result.committed) return true;
        if (!applied.has(result.delivery.id)) return false;
        return status === 'succeeded' || (status === 'dead' && skipDead);
      })
      .map((result) => result.delivery.id);
    for (const result of results) {
      const { delivery } = result;
      this.lifecycle.emit(InboxEvents.deliveryAttempted, {
        handler: handler.name,
        eventId: delivery.event_id,
        deliveryId: delivery.id,
        attempt: delivery.attempts,
        outcome: result.outcome,
        durationMs: duration(result),
      } satisfies DeliveryAttemptedEvent);
    }
    for (const record of records) {
      if (record.status === undefined) continue;
      if (!applied.has(record.deliveryId)) {
        this.logger.warn({
          deliveryId: record.deliveryId,
          handler: handler.name,
          msg: `attempt ${record.attempt} ended after another run had taken the delivery over: kept in the history only`,
        });
        retries.delete(record.deliveryId);
        continue;
      }
      if (record.status !== 'dead') continue;
      const delivery = results.find((result) => result.delivery.id === record.deliveryId)!.delivery;
      this.lifecycle.emit(InboxEvents.deliveryDead, {
        handler: handler.name,
        eventId: delivery.event_id,
        deliveryId: delivery.id,
      } satisfies DeliveryDeadEvent);
    }
    // The retry's time is in Postgres; the delayed job is only the alarm clock. If adding it fails
    // (Redis down) the relay re-queues the delivery once it is overdue.
    await Promise.all(
      [...retries].map(([deliveryId, job]) => {
        const record = records.find((r) => r.deliveryId === deliveryId)!;
        return this.queues
          .addHandlerJobs(handler.name, [job], { delay: record.retryDelayMs })
          .catch((error: Error) => this.logger.warn(`could not schedule a retry, the relay will: ${error.message}`));
      }),
    );
    return freed;
  }
}

const duration = (result: AttemptResult) => result.finishedAt.getTime() - result.startedAt.getTime();
const messageOf = (error: Error) => (error.message || error.name).slice(0, ERROR_MESSAGE_LIMIT);
