import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { DataSource } from 'typeorm';
import { InboxEvents, type DeliveryAttemptedEvent, type DeliveryDeadEvent } from '../../inbox/inbox-events.js';
import { DeliveryStore, type AttemptRecord, type ClaimedDelivery } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import type { AttemptOutcome } from '../../inbox/entities/delivery-attempt.entity.js';
import { DELIVERY_LEASE_MS } from './delivery-leases.js';
import { HandlerTimeoutError, untilAborted } from '../../shared/time-limits.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { PermanentWebhookError, WebhookEvent, WebhookHandlerContext } from '../api/webhook-handler.interface.js';
import { backoffDelay, RegisteredHandler } from '../discovery/webhook-handler.registry.js';

interface AttemptResult {
  delivery: ClaimedDelivery;
  outcome: AttemptOutcome;
  startedAt: Date;
  finishedAt: Date;
  error?: Error;
  /** The transaction already marked it succeeded. */
  committed?: boolean;
}

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

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryStore,
    private readonly events: EventStore,
    private readonly queues: InboxQueues,
    private readonly lifecycle: EventEmitter2,
  ) {}

  async process(handler: RegisteredHandler, eventIds: string[], jobId: string, shutdown: AbortSignal): Promise<void> {
    // Renewed while the job runs (DeliveryLeases in InboxWorkers): a job that is gone frees its
    // deliveries for the relay within a minute, however many events it carried.
    const leaseMs = DELIVERY_LEASE_MS;
    const claimed = await this.deliveries.claim(handler.name, eventIds, jobId, leaseMs);
    if (claimed.length === 0) return;

    const results: AttemptResult[] = [];
    for (const delivery of claimed) {
      const result = await this.attempt(handler, delivery, shutdown);
      if (result) results.push(result);
    }
    await this.record(handler, results);
    await this.events.finish(claimed.map((delivery) => delivery.event_id));
  }

  /** One run of the handler for one event; undefined when another run had taken the delivery over. */
  private async attempt(
    handler: RegisteredHandler,
    delivery: ClaimedDelivery,
    shutdown: AbortSignal,
  ): Promise<AttemptResult | undefined> {
    const startedAt = new Date();
    const done = (outcome: AttemptOutcome, error?: Error, committed = false): AttemptResult => ({
      delivery,
      outcome,
      startedAt,
      finishedAt: new Date(),
      error,
      committed,
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
        await untilAborted(
          Promise.resolve().then(() =>
            handler.instance.handle(event, { ...context, manager: this.dataSource.manager }),
          ),
          signal,
        );
        return done('succeeded');
      }
      const applied = await this.dataSource.transaction(async (manager) => {
        // No other run took the delivery over meanwhile (the row stays locked until the commit).
        if (!(await this.deliveries.lockIfOwned(manager, delivery.id, delivery.attempts))) return false;
        await untilAborted(
          Promise.resolve().then(() => handler.instance.handle(event, { ...context, manager })),
          signal,
        );
        // The effect and the success mark commit together: a retry after a crash finds `succeeded`.
        await this.deliveries.markSucceeded(manager, delivery.id, Date.now() - startedAt.getTime());
        return true;
      });
      return applied ? done('succeeded', undefined, true) : undefined;
    } catch (caught) {
      const error = signal.aborted ? aborted() : toError(caught);
      context.logger.warn(`attempt ${delivery.attempts}/${delivery.max_attempts} failed: ${error.message}`);
      return done(
        error instanceof HandlerTimeoutError
          ? 'timed_out'
          : error instanceof PermanentWebhookError
            ? 'invalid'
            : 'failed',
        error,
      );
    }
  }

  private async record(handler: RegisteredHandler, results: AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    const retries: { eventId: string; attempt: number; delayMs: number }[] = [];
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
      if (outcome === 'succeeded') return { ...record, status: 'succeeded', nextAttemptAt: null };
      if (outcome === 'invalid' || delivery.attempts >= delivery.max_attempts)
        return { ...record, status: 'dead', nextAttemptAt: null };
      const delayMs = backoffDelay(handler.backoff, delivery.attempts);
      retries.push({ eventId: delivery.event_id, attempt: delivery.attempts, delayMs });
      return { ...record, status: 'retrying', nextAttemptAt: new Date(Date.now() + delayMs) };
    });
    await this.deliveries.record(records);
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
