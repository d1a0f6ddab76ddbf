import { SetMetadata, Type } from '@nestjs/common';
import type { DefaultSource, HasWebhookCatalog, WebhookEventType } from './webhook-catalog.js';
import type { StoredWebhookEvent, WebhookEvent, WebhookHandlerContext } from './webhook-handler.interface.js';

export const ON_WEBHOOK_METADATA = 'webhook-inbox:on-webhook';
/** Subscribes to every event type. */
export const ALL_EVENT_TYPES = '*';
type AllEventTypes = typeof ALL_EVENT_TYPES;

export interface BackoffOptions {
  type: 'exponential' | 'fixed';
  /** Base delay: fixed → every wait; exponential → delayMs · 2^(attempt-1). */
  delayMs: number;
  /** Upper bound for exponential backoff. */
  maxDelayMs?: number;
}

/** What an `orderBy` function sees: the stored event, before any DTO validation. */
export type OrderingEvent = Pick<
  StoredWebhookEvent,
  'id' | 'externalId' | 'source' | 'type' | 'data' | 'createdAt' | 'payload'
>;

export interface OnWebhookOptions {
  /** Unique name, stored on every delivery; defaults to the class name. Keep it stable across deploys. */
  name?: string;
  /**
   * The source whose events this handler takes: a name from WEBHOOK_SOURCES (events posted to
   * /webhooks/<source>). Default: the default source, POST /webhooks.
   */
  source?: string;
  /** Total runs before the delivery is `dead` (1 = no retry). Default 5. */
  attempts?: number;
  /** Default: exponential from 1 s, at most 1 h. */
  backoff?: BackoffOptions;
  /**
   * A class-validator DTO for `data`; a validation failure is permanent (no retries). With a
   * catalog (defineWebhookEvents) leave it out: the catalog's DTO of each type applies.
   */
  dto?: Type<object>;
  /** Run in a transaction that also marks the delivery succeeded; write through `context.manager`. */
  transactional?: boolean;
  /** An attempt still running after this is failed (and retried). Default 30 s. */
  timeoutMs?: number;
  /** Events this handler runs at once in each worker process. Default 5. */
  concurrency?: number;
  /** At most `max` events per `durationMs` for this handler, across all workers (BullMQ limiter). */
  rateLimit?: { max: number; durationMs: number };
  /**
   * Deliveries with the same key run one at a time, in the order the events were committed to the
   * inbox; different keys run in parallel. A function of the event, or a dotted path into it such
   * as `'data.subscription_id'`. The key must be a non-empty string or a number.
   */
  orderBy?: string | ((event: OrderingEvent) => unknown);
  /**
   * With `orderBy`: what a delivery that goes `dead` does to its key. `'block'` (default): the later
   * deliveries of the key wait for an operator (skip or retry, /admin/ordering). `'skip'`: the next
   * delivery of the key runs; the dead one is marked skipped.
   */
  onDead?: 'block' | 'skip';
  /**
   * With `orderBy`: an event without a key is `'refuse'`d (default: its delivery is dead at once,
   * with a permanent error naming the key) or runs `'unordered'`, outside any key.
   */
  onMissingKey?: 'refuse' | 'unordered';
}

export interface OnWebhookMetadata {
  types: string[];
  options: OnWebhookOptions;
}

/**
 * What a handler of `TType` from `TSource` must accept: the catalog's event for a catalogued type.
 * Without a catalog (and for '*') `data` is `never` here, so that any declared shape of it passes,
 * as it did before catalogs existed.
 */
export type SubscribedEvent<TType extends string, TSource extends string = DefaultSource> = TType extends AllEventTypes
  ? StoredWebhookEvent<never>
  : HasWebhookCatalog<TSource> extends true
    ? WebhookEvent<TType, TSource>
    : StoredWebhookEvent<never, TType>;

/**
 * A class whose handle() accepts every event its @OnWebhook subscribes to. A property, not a
 * method signature: TypeScript compares method parameters both ways, which would let a handler of
 * two types take only one of them.
 */
export type WebhookHandlerClass<TEvent> = abstract new (...args: never[]) => {
  handle: (event: TEvent, context: WebhookHandlerContext) => unknown;
};

/**
 * Marks a provider class as the handler of one event type, a list of types, or '*' (every type).
 * Metadata only: WebhookHandlerRegistry finds the class at bootstrap and checks it.
 *
 * With a catalog (defineWebhookEvents), a type outside it does not compile, and neither does a
 * handle() whose event disagrees with the catalog's DTO for the subscribed type(s).
 *
 * @example
 * @OnWebhook('subscription_event_refund', { transactional: true })
 * export class RecordRefund implements WebhookHandler<'subscription_event_refund'> { ... }
 */
export function OnWebhook<const TType extends WebhookEventType | AllEventTypes>(
  types: TType | readonly TType[],
  options?: OnWebhookOptions & { source?: DefaultSource },
): <TClass extends WebhookHandlerClass<SubscribedEvent<TType>>>(target: TClass) => void;
export function OnWebhook<const TSource extends string, const TType extends WebhookEventType<TSource> | AllEventTypes>(
  types: TType | readonly TType[],
  options: OnWebhookOptions & { source: TSource },
): <TClass extends WebhookHandlerClass<SubscribedEvent<TType, TSource>>>(target: TClass) => void;
export function OnWebhook(types: string | readonly string[], options: OnWebhookOptions = {}): ClassDecorator {
  return onWebhookMetadata(types, options);
}

/** The metadata @OnWebhook sets, without its compile-time checks (for the inbox's own handlers and tests of the registry). */
export function onWebhookMetadata(types: string | readonly string[], options: OnWebhookOptions = {}): ClassDecorator {
  const metadata: OnWebhookMetadata = {
    types: typeof types === 'string' ? [types] : [...types],
    options: { ...options },
  };
  return SetMetadata(ON_WEBHOOK_METADATA, metadata);
}
