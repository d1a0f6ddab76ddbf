import { Logger } from '@nestjs/common';
import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import type { AttemptOutcome } from '../../inbox/entities/delivery-attempt.entity.js';
import { HandlerTimeoutError, untilAborted } from '../../shared/time-limits.js';
import {
  PermanentWebhookError,
  type StoredWebhookEvent,
  type WebhookHandlerContext,
} from '../api/webhook-handler.interface.js';
import type { RegisteredHandler } from '../discovery/webhook-handler.registry.js';
import { inFencedTransaction } from './fenced-transaction.js';

/** What `context.span` is outside any span (tracing off): accepts every call, records nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
/** How long past its time limit a transactional attempt may stay idle in its transaction before the server ends it. */
const FENCE_MARGIN_MS = 5000;

/** One attempt of one handler on one event, as the worker (or the testing module) asks for it. */
export interface HandlerInvocation {
  handler: RegisteredHandler;
  /** The stored event; `data` as stored, before the DTO's validation. */
  event: StoredWebhookEvent;
  deliveryId: string;
  attempt: number;
  maxAttempts: number;
  /** Aborted when the worker shuts down. */
  shutdown: AbortSignal;
  /**
   * Transactional handlers: runs inside the handler's transaction, after handle(); returning false
   * rolls the whole attempt back (the worker marks the delivery succeeded here, and learns here
   * that another run took it over).
   */
  beforeCommit?: (manager: EntityManager) => Promise<boolean>;
}

export interface InvocationResult {
  outcome: AttemptOutcome;
  error?: Error;
  /** A transactional handler's effect committed (with whatever beforeCommit wrote). */
  committed: boolean;
  /** beforeCommit refused: nothing of the attempt committed. */
  rolledBack?: boolean;
}

/**
 * Everything that happens around handle(), in one place for the worker and the testing module:
 * `data` validated against the type's DTO (a failure is permanent, the handler is not called),
 * the context with its logger and signal, the handler's time limit, and for a transactional
 * handler the fenced transaction that commits its writes only if the attempt ends in time.
 */
export async function invokeHandler(
  dataSource: DataSource | undefined,
  invocation: HandlerInvocation,
  logger: Logger,
): Promise<InvocationResult> {
  const { handler, event: stored, shutdown } = invocation;
  // Every line about this delivery carries these fields (pino merges them into the JSON line).
  const contextLog = contextLogger(logger, {
    eventId: stored.id,
    type: stored.type,
    handler: handler.name,
    deliveryId: invocation.deliveryId,
  });
  const dto = handler.dtoOf(stored.type);
  let data: object = stored.data;
  if (dto) {
    const instance = plainToInstance(dto, stored.data);
    const errors = await validate(instance, { forbidUnknownValues: false });
    if (errors.length > 0) {
      const error = new PermanentWebhookError(`data is invalid: ${flattenValidationErrors(errors).join('; ')}`);
      contextLog.warn(`not run, delivery dead: ${error.message}`);
      return { outcome: 'invalid', error, committed: false };
    }
    data = instance;
  }
  const event = { ...stored, data } as StoredWebhookEvent;

  const limit = attemptLimit(handler, shutdown);
  const signal = limit.signal;
  const context: Omit<WebhookHandlerContext, 'manager'> = {
    deliveryId: invocation.deliveryId,
    attempt: invocation.attempt,
    maxAttempts: invocation.maxAttempts,
    signal,
    logger: contextLog,
    span: trace.getActiveSpan() ?? NO_SPAN,
  };
  const aborted = () => toError(signal.reason);
  let refused = false;
  try {
    // Started just before the abort: the handler is not called at all.
    if (shutdown.aborted) throw aborted();
    if (!handler.transactional) {
      await untilAborted(
        Promise.resolve().then(() => handler.instance.handle(event, { ...context, manager: managerOf(dataSource) })),
        signal,
      );
      return { outcome: 'succeeded', committed: false };
    }
    if (!dataSource) throw new Error(`${handler.name} is transactional and there is no TypeORM DataSource`);
    // Fenced: once the attempt ends (timeout, shutdown) no statement of the handler's reaches the
    // database, so a handler still running after its timeout cannot commit anything.
    await inFencedTransaction(
      dataSource,
      signal,
      async (manager) => {
        await handler.instance.handle(event, { ...context, manager });
        if (invocation.beforeCommit && !(await invocation.beforeCommit(manager))) {
          refused = true;
          throw new AttemptRolledBack();
        }
      },
      handler.timeoutMs + FENCE_MARGIN_MS,
    );
    return { outcome: 'succeeded', committed: true };
  } catch (caught) {
    if (refused && caught instanceof AttemptRolledBack)
      return { outcome: 'failed', committed: false, rolledBack: true };
    const error = signal.aborted ? aborted() : toError(caught);
    contextLog.warn(`attempt ${invocation.attempt}/${invocation.maxAttempts} failed: ${error.message}`);
    const outcome: AttemptOutcome =
      error instanceof HandlerTimeoutError
        ? 'timed_out'
        : error instanceof PermanentWebhookError
          ? 'invalid'
          : 'failed';
    return { outcome, error, committed: false };
  } finally {
    limit.dispose();
  }
}

class AttemptRolledBack extends Error {}

/** A non-transactional handler writes through the default manager; without a DataSource, using it says why it fails. */
function managerOf(dataSource: DataSource | undefined): EntityManager {
  if (dataSource) return dataSource.manager;
  return new Proxy({} as EntityManager, {
    get() {
      throw new Error(
        'context.manager needs a TypeORM DataSource: import TypeOrmModule.forRoot(...) next to the handler',
      );
    },
  });
}

/**
 * The attempt's signal: aborted with a HandlerTimeoutError when the handler's timeout passes, or
 * when the worker shuts down. One controller and one timer per attempt, both released at its end
 * (cheaper on the hot path than AbortSignal.any over a timeout signal).
 */
function attemptLimit(handler: RegisteredHandler, shutdown: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onShutdown = () => controller.abort(new Error('worker is shutting down'));
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener('abort', onShutdown, { once: true });
  const timer = setTimeout(
    () => controller.abort(new HandlerTimeoutError(handler.name, handler.timeoutMs)),
    handler.timeoutMs,
  );
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      shutdown.removeEventListener('abort', onShutdown);
    },
  };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`handler threw a non-Error value: ${String(value)}`);
}

/** class-validator's nested errors as `path: message` lines. */
export function flattenValidationErrors(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const property = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${path ? `${path}.` : ''}${message}` : `${property}: ${message}`,
    );
    return [...own, ...flattenValidationErrors(error.children ?? [], property)];
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
