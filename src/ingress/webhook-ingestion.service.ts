import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import { withTimeout } from '../shared/time-limits.js';
import { WebhookEnvelope } from './envelope/webhook-envelope.js';
import { EventEnqueuer } from './event-enqueuer.js';
import { EventWriter, WriteResult } from './event-writer.js';

export interface IncomingWebhook {
  envelope: WebhookEnvelope;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string;
}

export const DEFAULT_SOURCE = 'default';

/** Request headers stored with the event: what helps to trace it later, nothing secret. */
const KEPT_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'user-agent',
  'content-type',
  'x-request-id',
  'x-forwarded-for',
];

/**
 * The ingestion guarantee in one place: the event is committed (or found to be a duplicate)
 * before the caller may answer, and only then is it queued.
 */
@Injectable()
export class WebhookIngestionService {
  private readonly ackTimeoutMs: number;

  constructor(
    private readonly writer: EventWriter,
    private readonly enqueuer: EventEnqueuer,
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
  ) {
    this.ackTimeoutMs = options.ingestion.ackTimeoutMs;
  }

  async ingest(incoming: IncomingWebhook): Promise<WriteResult> {
    const { envelope, rawBody } = incoming;
    // Past the bound the sender gets a 503 and retries; a commit that still lands later makes its
    // retry a duplicate (answered with this id), and the relay queues the event.
    const write = this.writer.write({
      source: DEFAULT_SOURCE,
      externalId: eventIdentity(envelope, incoming.headers, rawBody),
      type: envelope.type,
      payloadJson: rawBody.toString('utf8'),
      headers: keptHeaders(incoming),
    });
    const result = await withTimeout(write, this.ackTimeoutMs, 'committing the event');
    if (!result.duplicate) this.enqueuer.enqueue(result.id);
    return result;
  }
}

/** De-duplication key: the envelope's id, else the webhook-id header, else the SHA-256 of the exact body. */
export function eventIdentity(
  envelope: WebhookEnvelope,
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
): string {
  if (envelope.id) return envelope.id;
  const headerId = headers['webhook-id'];
  if (typeof headerId === 'string' && headerId.length > 0 && headerId.length <= 255) return headerId;
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

function keptHeaders(incoming: IncomingWebhook): Record<string, string> {
  const kept: Record<string, string> = { 'remote-address': incoming.remoteAddress };
  for (const name of KEPT_HEADERS) {
    const value = incoming.headers[name];
    if (typeof value === 'string') kept[name] = value.slice(0, 512);
  }
  return kept;
}
