import type { Logger } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import type { DefaultSource, WebhookEventData } from './webhook-catalog.js';

/** What a handler receives: the stored event, with `data` validated against its type's DTO. */
export interface StoredWebhookEvent<TData = Record<string, unknown>, TType extends string = string> {
  /** The inbox's own id for the event (uuid). */
  id: string;
  /** The provider's id (envelope `id`, else `webhook-id` header, else a hash of the body). */
  externalId: string;
  source: string;
  type: TType;
  data: TData;
  /** The provider's `created_at`, when it sent one. */
  createdAt?: string;
  receivedAt: Date;
  /** The whole envelope as received, extra fields included. */
  payload: Record<string, unknown>;
}

/**
 * The event a handler receives. Name the catalogued type(s) it handles and `data` follows:
 * `WebhookEvent<'subscription_event_refund'>` has the refund DTO as `data`; a union of types is a
 * union of events, narrowed by `event.type`. Without a catalog, pass the shape of `data` instead
 * (`WebhookEvent<MyData>`), or nothing for untyped data.
 */
export type WebhookEvent<T = Record<string, unknown>, TSource extends string = DefaultSource> = T extends string
  ? StoredWebhookEvent<WebhookEventData<T, TSource>, T>
  : StoredWebhookEvent<T>;

export interface WebhookHandlerContext {
  deliveryId: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the handler's timeout passes or the worker shuts down; pass it to fetch() etc. */
  signal: AbortSignal;
  /**
   * With `transactional: true`: an EntityManager inside the transaction that also marks this
   * delivery succeeded; write through it and the effect commits exactly once. Otherwise the
   * DataSource's default manager (each write commits on its own).
   */
  manager: EntityManager;
  /** A logger whose lines carry the event id, type, handler and delivery id. */
  logger: Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;
  /** This attempt's span, in the event's trace: add attributes or events to it. A no-op span without tracing. */
  span: Span;
}

/**
 * Implement this on a provider class decorated with `@OnWebhook(...)`. Throw to fail the attempt:
 * it is retried with backoff until the handler's `attempts` are used up.
 * Delivery is at least once: a retry after a crash may run `handle` again for the same event, so
 * make the effect idempotent, or declare `transactional: true` and write through `context.manager`.
 */
export interface WebhookHandler<T = Record<string, unknown>, TSource extends string = DefaultSource> {
  handle(event: WebhookEvent<T, TSource>, context: WebhookHandlerContext): Promise<void> | void;
}

/** Throw this (or let DTO validation fail) when retrying cannot help: the delivery goes straight to `dead`. */
export class PermanentWebhookError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentWebhookError';
  }
}
