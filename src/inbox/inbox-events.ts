import type { AttemptOutcome } from './entities/delivery-attempt.entity.js';
import type { RejectionCode } from './entities/webhook-rejection.entity.js';

/**
 * What the core publishes (through @nestjs/event-emitter's EventEmitter2) as events move through
 * the inbox. Metrics, logs and alerts subscribe with `@OnEvent(InboxEvents.…)`; the core never
 * imports them. Emitted synchronously on the hot paths: a listener must be cheap and never throw.
 */
export const InboxEvents = {
  /** A POST /webhooks was answered (or refused). */
  webhookReceived: 'webhook.received',
  /** A verified request's content was refused (400) and the request kept in the quarantine. */
  webhookQuarantined: 'webhook.quarantined',
  /** A POST /webhooks was refused for its signature (401, or 429 once its address failed too often). */
  signatureRefused: 'webhook.signature_refused',
  /** One handler attempt on one event ended. */
  deliveryAttempted: 'delivery.attempted',
  /** A delivery used up its attempts or failed permanently. */
  deliveryDead: 'delivery.dead',
} as const;

export type IngestOutcome = 'accepted' | 'duplicate' | 'rejected' | 'unavailable';

export interface WebhookReceivedEvent {
  /** `default` for POST /webhooks, else the source's name. */
  source: string;
  /** Undefined when the body was refused before a type could be read. */
  type: string | undefined;
  outcome: IngestOutcome;
  /** From the request arriving to the answer being ready. */
  elapsedMs: number;
}

export interface WebhookQuarantinedEvent {
  /** The quarantine row's id. */
  id: string;
  /** Why the content was refused. */
  code: RejectionCode;
}

export interface SignatureRefusedEvent {
  /** `default` for POST /webhooks, else the source's name. */
  source: string;
  /** Which check failed (missing, stale, mismatch, …), as the 401's `check` says. */
  check: string | undefined;
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
