import { Inject, Injectable } from '@nestjs/common';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { eventData } from '../../shared/sources/source-event.js';
import type { WebhookSource } from '../../shared/sources/webhook-source.js';

/** The envelope of POST /webhooks keeps the event's data under `data`. */
const DEFAULT_LOCATION: Pick<WebhookSource, 'data'> = { data: 'data' };

/**
 * A handler's `event.data`: where its source's preset says the data is in the stored body (the
 * envelope's `data` for the default source and Stripe; the whole body for GitHub, Shopify, Slack).
 */
@Injectable()
export class SourceData {
  private readonly locations: Map<string, Pick<WebhookSource, 'data'>>;

  constructor(@Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions) {
    this.locations = new Map(options.sources.map((source) => [source.name, source]));
  }

  /** Bound, so it can be handed on as a function. */
  readonly of = (source: string, payload: Record<string, unknown>): Record<string, unknown> =>
    eventData(this.locations.get(source) ?? DEFAULT_LOCATION, payload);
}
