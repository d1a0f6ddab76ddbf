import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  InboxEvents,
  type DeliveryAttemptedEvent,
  type DeliveryDeadEvent,
  type SignatureRefusedEvent,
  type WebhookQuarantinedEvent,
  type WebhookReceivedEvent,
} from '../../inbox/inbox-events.js';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Past this many distinct types, new ones are counted as "other": a label per type must not grow without bound. */
const MAX_TYPE_LABELS = 200;

/**
 * The service's Prometheus metrics, on a registry of its own (GET /metrics), fed by the inbox's
 * lifecycle events. The listeners run on the hot paths: each is a label lookup and an increment.
 */
@Injectable()
export class InboxMetrics {
  readonly registry = new Registry();
  private readonly knownTypes = new Set<string>();

  private readonly eventsReceived = new Counter({
    name: 'webhook_inbox_events_received_total',
    help: 'Webhook requests that reached the controller, by source, event type and outcome (accepted, duplicate, rejected = 400, unavailable = 503).',
    labelNames: ['source', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly quarantined = new Counter({
    name: 'webhook_inbox_requests_quarantined_total',
    help:
      'Correctly signed requests whose content was refused (400) and kept in the quarantine (GET /admin/rejections), ' +
      'by reason (invalid_json, json_too_deep, json_too_many_keys, json_too_many_array_items, forbidden_key, ' +
      'invalid_envelope, unstorable_escape, unstorable_value).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly signatureFailures = new Counter({
    name: 'webhook_inbox_signature_failures_total',
    help: 'Webhook requests refused for their signature (401, or 429 for an address that failed too often), by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly ackDuration = new Histogram({
    name: 'webhook_inbox_ack_duration_seconds',
    help: 'From the request arriving to the answer being ready (the event committed), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly handlerDuration = new Histogram({
    name: 'webhook_inbox_handler_duration_seconds',
    help: 'One attempt of a handler on one event, by handler and outcome (succeeded, failed, timed_out, invalid).',
    labelNames: ['handler', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly deadDeliveries = new Counter({
    name: 'webhook_inbox_deliveries_dead_total',
    help: 'Deliveries that used up their attempts (or failed permanently) in this process, by handler.',
    labelNames: ['handler'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  @OnEvent(InboxEvents.webhookReceived)
  onWebhookReceived({ source, type, outcome, elapsedMs }: WebhookReceivedEvent): void {
    this.eventsReceived.inc({ source, type: this.typeLabel(type), outcome });
    this.ackDuration.observe({ outcome }, elapsedMs / 1000);
  }

  @OnEvent(InboxEvents.webhookQuarantined)
  onWebhookQuarantined({ code }: WebhookQuarantinedEvent): void {
    this.quarantined.inc({ reason: code });
  }

  @OnEvent(InboxEvents.signatureRefused)
  onSignatureRefused({ source }: SignatureRefusedEvent): void {
    this.signatureFailures.inc({ source });
  }

  @OnEvent(InboxEvents.deliveryAttempted)
  onDeliveryAttempted({ handler, outcome, durationMs }: DeliveryAttemptedEvent): void {
    this.handlerDuration.observe({ handler, outcome }, durationMs / 1000);
  }

  @OnEvent(InboxEvents.deliveryDead)
  onDeliveryDead({ handler }: DeliveryDeadEvent): void {
    this.deadDeliveries.inc({ handler });
  }

  private typeLabel(type: string | undefined): string {
    if (type === undefined) return '(unreadable)';
    if (this.knownTypes.has(type)) return type;
    if (this.knownTypes.size >= MAX_TYPE_LABELS) return '(other)';
    this.knownTypes.add(type);
    return type;
  }
}
