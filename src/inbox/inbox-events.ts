import type { AttemptOutcome } from './entities/delivery-attempt.entity.js';

/**
 * What the core publishes (through @nestjs/event-emitter's EventEmitter2) as events move through
 * the inbox. Metrics, logs and alerts subscribe with `@OnEvent(InboxEvents.…)`; the core never
 * imports them. Emitted synchronously on the hot paths: a listener must be cheap and never throw.
 */
export const InboxEvents = {
  /** A POST /webhooks was answered (or refused). */
  webhookReceived: 'webhook.received',
  /** One handler attempt on one event ended. */
  deliveryAttempted: 'delivery.attempted',
  /** A delivery used up its attempts or failed permanently. */
  deliveryDead: 'delivery.dead',
} as const;

export type IngestOutcome = 'accepted' | 'duplicate' | 'rejected' | 'unavailable';

export interface WebhookReceivedEvent {
  /** Undefined when the body was refused before a type could be read. */
  type: string | undefined;
  outcome: IngestOutcome;
  /** From the request arriving to the answer being ready. */
  elapsedMs: number;
}

export interface DeliveryAttemptedEvent {
  handler: string;
  eventId: string;
  deliveryId: string;
  attempt: number;
  outcome: AttemptOutcome;
  durationMs: number;
}

export interface DeliveryDeadEvent {
  handler: string;
  eventId: string;
  deliveryId: string;
}
