import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import type { FieldRule, WebhookSource } from '../../shared/sources/webhook-source.js';
import { DEFAULT_SOURCE } from '../../shared/sources/webhook-source.js';
import type { SourceDto } from './admin-sources.dto.js';

const SIGNATURE_HEADERS: Record<string, string | null> = {
  'standard-webhooks': 'webhook-signature',
  stripe: 'stripe-signature',
  basic: 'authorization',
  none: null,
};

const spec = (rule: FieldRule) => `${rule.from}:${rule.path}${rule.optional ? '?' : ''}`;

/** What each source is, as an operator needs to see it: its scheme and where it reads things, never a secret. */
@Injectable()
export class AdminSourcesService {
  constructor(
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: WebhookHandlerRegistry,
  ) {}

  async list(): Promise<SourceDto[]> {
    const rows: { source: string; status: string; count: number }[] = await this.dataSource.query(
      'SELECT source, status, count(*)::int AS count FROM webhook_events GROUP BY source, status',
    );
    const counts = new Map<string, Record<string, number>>();
    for (const row of rows) counts.set(row.source, { ...counts.get(row.source), [row.status]: row.count });
    const handlers = (source: string) =>
      this.registry
        .all()
        .filter((handler) => handler.source === source)
        .map((handler) => handler.name);
    const signed = this.options.signing.secrets.length > 0;
    const defaultSource: SourceDto = {
      name: DEFAULT_SOURCE,
      path: '/webhooks',
      verifier: signed ? 'standard-webhooks' : 'none',
      secrets: this.options.signing.secrets.length,
      signatureHeader: signed ? 'webhook-signature' : null,
      toleranceSeconds: signed ? this.options.signing.toleranceSeconds : null,
      typeFrom: ['body:type'],
      idFrom: ['body:id?', 'header:webhook-id?'],
      dataFrom: 'body.data',
      events: counts.get(DEFAULT_SOURCE) ?? {},
      handlers: handlers(DEFAULT_SOURCE),
    };
    return [
      defaultSource,
      ...this.options.sources.map((source) =>
        this.describe(source, counts.get(source.name) ?? {}, handlers(source.name)),
      ),
    ];
  }

  private describe(source: WebhookSource, events: Record<string, number>, handlers: string[]): SourceDto {
    const timestamped =
      source.verifier === 'stripe' || source.verifier === 'standard-webhooks' || Boolean(source.hmac?.timestampHeader);
    return {
      name: source.name,
      path: `/webhooks/${source.name}`,
      verifier: source.verifier,
      secrets: source.secrets.length,
      signatureHeader: source.hmac?.header ?? SIGNATURE_HEADERS[source.verifier] ?? null,
      toleranceSeconds: timestamped ? (source.hmac?.toleranceSeconds ?? source.toleranceSeconds) : null,
      typeFrom: source.type.map(spec),
      idFrom: source.id.map(spec),
      dataFrom: source.data === 'body' ? 'body' : `body.${source.data}`,
      events,
      handlers,
    };
  }
}
