import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg-pool.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
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
const KEPT_HEADERS = ['webhook-id', 'webhook-timestamp', 'user-agent', 'content-type', 'x-request-id', 'x-forwarded-for'];

/**
 * The ingestion guarantee in one place: the event is committed (or found to be a duplicate)
 * before the caller may answer, and only then is it queued.
 */
@Injectable()
export class WebhookIngestionService {
  private readonly writer: EventWriter;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly enqueuer: EventEnqueuer,
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
  ) {
    this.writer = new EventWriter(
      pgPool(dataSource),
      options.ingestion?.maxBatchSize,
      options.ingestion?.maxConcurrentBatches,
    );
  }

  async ingest(incoming: IncomingWebhook): Promise<WriteResult> {
    const { envelope, rawBody } = incoming;
    const result = await this.writer.write({
      source: DEFAULT_SOURCE,
      externalId: eventIdentity(envelope, incoming.headers, rawBody),
      type: envelope.type,
      payloadJson: rawBody.toString('utf8'),
      headers: keptHeaders(incoming),
    });
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
