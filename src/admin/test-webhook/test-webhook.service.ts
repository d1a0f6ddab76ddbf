import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import { INBOX_TEST_EVENT_TYPE } from '../../processing/builtin/inbox-test-webhook.handler.js';
import { ADMIN_OPTIONS, type AdminOptions } from '../admin.options.js';
import { HttpAdapterHost } from '@nestjs/core';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import type { SendTestWebhookDto, TestWebhookResultDto } from './dto/test-webhook.dto.js';
import type { WebhookSource } from '../../shared/sources/webhook-source.js';
import {
  envelopeRequest,
  sendWebhook,
  signingSecret,
  sourceTestRequest,
  testEnvelope,
  webhookUrl,
} from './webhook-sender.js';

/**
 * The provider's "send test event" from our side: a signed request over the network to the URL the
 * provider uses, so that TLS, the proxy, the signature and the database are all exercised.
 */
@Injectable()
export class TestWebhookService {
  private readonly logger = new Logger(TestWebhookService.name);

  constructor(
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    @Inject(ADMIN_OPTIONS) private readonly admin: AdminOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async send(input: SendTestWebhookDto): Promise<TestWebhookResultDto> {
    const type = input.type ?? INBOX_TEST_EVENT_TYPE;
    this.refuseForgedBusinessEvents(type);
    const envelope = testEnvelope(type, input.data ?? {});
    const source = input.source === undefined ? undefined : this.sourceNamed(input.source);
    const own = !this.options.publicUrl;
    const url = webhookUrl(this.options.publicUrl ?? this.ownUrl(), source?.name);
    const request = source
      ? sourceTestRequest(source, envelope)
      : envelopeRequest(envelope, signingSecret(this.options.signing.secrets.join(' ')));
    let result: TestWebhookResultDto;
    try {
      const sent = await sendWebhook({ url, request, insecureTls: own });
      const body = sent.body as { id?: unknown } | undefined;
      const eventId = sent.status >= 200 && sent.status < 300 && typeof body?.id === 'string' ? body.id : null;
      result = {
        url: sent.url,
        webhookId: sent.webhookId,
        externalId: envelope.id,
        signed: sent.signed,
        status: sent.status,
        accepted: eventId !== null,
        response: sent.body,
        durationMs: sent.durationMs,
        eventId,
        eventUrl: eventId ? `/admin/events/${eventId}` : null,
        logs: eventId ? `search the logs for "eventId":"${eventId}"` : `search the logs for "${envelope.id}"`,
      };
    } catch (error) {
      result = {
        url,
        webhookId: request.webhookId,
        externalId: envelope.id,
        signed: request.signed,
        status: 0,
        accepted: false,
        response: { error: (error as Error).message },
        durationMs: 0,
        eventId: null,
        eventUrl: null,
        logs: `search the logs for "${envelope.id}"`,
      };
    }
    const line = {
      eventId: result.eventId ?? undefined,
      type: envelope.type,
      externalId: envelope.id,
      url: result.url,
      status: result.status,
    };
    if (result.accepted) this.logger.log({ ...line, msg: 'test webhook acknowledged' });
    else this.logger.warn({ ...line, response: result.response, msg: 'test webhook NOT acknowledged' });
    return result;
  }

  /** One of WEBHOOK_SOURCES (the default source is the absence of `source`). */
  private sourceNamed(name: string): WebhookSource {
    const source = this.options.sources.find((candidate) => candidate.name === name);
    if (!source) {
      const known = this.options.sources.map((candidate) => candidate.name).join(', ') || 'none';
      throw new BadRequestException([`source ${name} is not configured (WEBHOOK_SOURCES: ${known})`]);
    }
    return source;
  }

  /**
   * The test webhook is signed with the real secret: in production, sending a business type would
   * let an admin key forge, say, a refund that the business handlers apply. So there it sends only
   * the inbox's own test type, plus what TEST_WEBHOOK_TYPES allows.
   */
  private refuseForgedBusinessEvents(type: string): void {
    if (!this.admin.production || type === INBOX_TEST_EVENT_TYPE || this.admin.testWebhookTypes.includes(type)) return;
    throw new BadRequestException([
      `type ${type} cannot be sent as a test webhook in production: only ${INBOX_TEST_EVENT_TYPE}` +
        (this.admin.testWebhookTypes.length > 0 ? ` and ${this.admin.testWebhookTypes.join(', ')}` : '') +
        ' (add types to TEST_WEBHOOK_TYPES to allow them)',
    ]);
  }

  /** This process, as it listens (0.0.0.0 and :: reached through the loopback). */
  private ownUrl(): string {
    const server = this.adapterHost.httpAdapter.getHttpServer() as { address(): AddressInfo | string | null };
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
    const host = ['0.0.0.0', '::', ''].includes(address.address)
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
    const protocol = server instanceof HttpsServer ? 'https' : 'http';
    return `${protocol}://${host}:${address.port}`;
  }
}
