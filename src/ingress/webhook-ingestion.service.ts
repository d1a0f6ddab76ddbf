import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createHash } from 'node:crypto';
import { InboxEvents, type WebhookQuarantinedEvent } from '../inbox/inbox-events.js';
import { RejectionStore } from '../inbox/store/rejection.store.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import { withTimeout } from '../shared/time-limits.js';
import { currentTraceParent } from '../shared/tracing.js';
import { WebhookEnvelope } from './envelope/webhook-envelope.js';
import { EventEnqueuer } from './event-enqueuer.js';
import { EventWriter, WriteResult } from './event-writer.js';
import type { RefusedContentException } from './refused-content.exception.js';

type Headers = Record<string, string | string[] | undefined>;

export interface IncomingWebhook {
  /** `default` for POST /webhooks, else the source's name. */
  source: string;
  type: string;
  /** The de-duplication key within the source (see eventIdentity). */
  externalId: string;
  rawBody: Buffer;
  /** rawBody decoded as UTF-8, when the caller has it already. */
  rawBodyText?: string;
  headers: Headers;
  remoteAddress: string;
}

/** A request that passed the signature check and whose content was refused. */
export interface RefusedWebhook {
  source: string;
  refusal: RefusedContentException;
  rawBody: Buffer;
  headers: Headers;
  remoteAddress: string;
}

/** Request headers stored with the event (and with a quarantined request): what helps to trace it later, nothing secret. */
const KEPT_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'user-agent',
  'content-type',
  'x-request-id',
  'x-forwarded-for',
  // What the presets' senders identify their deliveries with.
  'x-github-event',
  'x-github-delivery',
  'x-shopify-topic',
  'x-shopify-webhook-id',
  'x-shopify-event-id',
  'x-shopify-shop-domain',
  'x-slack-request-timestamp',
];

/**
 * The ingestion guarantee in one place: a verified request is committed as an event (or found to
 * be a duplicate), or, when its content is refused, committed to the quarantine, before the caller
 * may answer. Only then is an event queued.
 */
@Injectable()
export class WebhookIngestionService {
  private readonly ackTimeoutMs: number;

  constructor(
    private readonly writer: EventWriter,
    private readonly enqueuer: EventEnqueuer,
    private readonly rejections: RejectionStore,
    private readonly events: EventEmitter2,
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
  ) {
    this.ackTimeoutMs = options.ingestion.ackTimeoutMs;
  }

  async ingest(incoming: IncomingWebhook): Promise<WriteResult> {
    // Past the bound the sender gets a 503 and retries; a commit that still lands later makes its
    // retry a duplicate (answered with this id), and the relay queues the event.
    const write = this.writer.write({
      source: incoming.source,
      externalId: incoming.externalId,
      type: incoming.type,
      payloadJson: incoming.rawBodyText ?? incoming.rawBody.toString('utf8'),
      headers: keptHeaders(incoming.headers, incoming.remoteAddress),
      traceParent: currentTraceParent(),
    });
    const result = await withTimeout(write, this.ackTimeoutMs, 'committing the event');
    if (!result.duplicate) this.enqueuer.enqueue(result.id);
    return result;
  }

  /**
   * Keeps a refused request (its exact bytes, kept headers and the reason) in the quarantine, and
   * publishes `webhook.quarantined` once it is committed. Rejects when it could not be stored within
   * the acknowledgement bound: the caller then answers 503 so that the sender retries, instead of a
   * 400 after which the request would exist nowhere.
   */
  async quarantine(refused: RefusedWebhook): Promise<string> {
    const { code, reason } = refused.refusal;
    const insert = this.rejections.insert({
      source: refused.source,
      code,
      reason,
      headers: keptHeaders(refused.headers, refused.remoteAddress),
      body: refused.rawBody,
    });
    const id = await withTimeout(insert, this.ackTimeoutMs, 'quarantining the refused request');
    this.events.emit(InboxEvents.webhookQuarantined, { id, code } satisfies WebhookQuarantinedEvent);
    return id;
  }
}

/** De-duplication key: the envelope's id, else the webhook-id header, else the SHA-256 of the exact body. */
export function eventIdentity(envelope: WebhookEnvelope, headers: Headers, rawBody: Buffer): string {
  if (envelope.id) return envelope.id;
  const headerId = headers['webhook-id'];
  if (typeof headerId === 'string' && headerId.length > 0 && headerId.length <= 255) return headerId;
  return bodyIdentity(rawBody);
}

/** For an event that names no identity: the same bytes are the same event. */
export const bodyIdentity = (rawBody: Buffer) => `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;

/** The headers worth keeping (KEPT_HEADERS, each cut to 512 characters) and the sender's address. */
export function keptHeaders(headers: Headers, remoteAddress: string): Record<string, string> {
  const kept: Record<string, string> = { 'remote-address': remoteAddress };
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') kept[name] = value.slice(0, 512);
  }
  return kept;
}
