import { SetMetadata, Type } from '@nestjs/common';
import type { WebhookEvent } from './webhook-handler.interface.js';

export const ON_WEBHOOK_METADATA = 'webhook-inbox:on-webhook';
/** Subscribes to every event type. */
export const ALL_EVENT_TYPES = '*';

export interface BackoffOptions {
  type: 'exponential' | 'fixed';
  /** Base delay: fixed → every wait; exponential → delayMs · 2^(attempt-1). */
  delayMs: number;
  /** Upper bound for exponential backoff. */
  maxDelayMs?: number;
}

/** What an `orderBy` function sees: the stored event, before any DTO validation. */
export type OrderingEvent = Pick<
  WebhookEvent,
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
  /** A class-validator DTO for `data`; a validation failure is permanent (no retries). */
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
 * Marks a provider class as the handler of one event type, a list of types, or '*' (every type).
 * Metadata only: WebhookHandlerRegistry finds the class at bootstrap and checks it.
 *
 * @example
 * @OnWebhook('subscription_user_create', { dto: SubscriptionCreatedData, transactional: true })
 * export class CreateSubscription implements WebhookHandler<SubscriptionCreatedData> { ... }
 */
export function OnWebhook(types: string | string[], options: OnWebhookOptions = {}): ClassDecorator {
  const metadata: OnWebhookMetadata = { types: Array.isArray(types) ? [...types] : [types], options: { ...options } };
  return SetMetadata(ON_WEBHOOK_METADATA, metadata);
}
