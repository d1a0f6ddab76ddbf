import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorDto } from '../shared/api-error.dto.js';
import { RawJsonBody, rawBodyOf } from './body/raw-json-body.js';
import { hasUnstorableJsonEscapes, type WebhookEnvelope } from './envelope/webhook-envelope.js';
import { WebhookEnvelopePipe } from './envelope/webhook-envelope.pipe.js';
import { IngressOutcomeInterceptor } from './ingress-outcome.interceptor.js';
import { UnstorableEventError } from './event-writer.js';
import { JsonContentTypeGuard } from './json-content-type.guard.js';
import { RefusedContentException } from './refused-content.exception.js';
import { unavailable } from './unavailable.js';
import { VerifiedBodyInterceptor } from './verified-body.interceptor.js';
import { WebhookAckDto } from './webhook-ack.dto.js';
import { bodyIdentity, eventIdentity, WebhookIngestionService } from './webhook-ingestion.service.js';
import { KnownSourceGuard, WebhookSources } from './sources/webhook-sources.js';
import { readSourceEvent } from '../shared/sources/source-event.js';
import { DEFAULT_SOURCE } from '../shared/sources/webhook-source.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly ingestion: WebhookIngestionService,
    private readonly sources: WebhookSources,
  ) {}

  @Post()
  @HttpCode(200)
  // The body stays raw bytes until the signature over them is checked: then VerifiedBodyInterceptor parses it.
  @RawJsonBody()
  @UseGuards(JsonContentTypeGuard, WebhookSignatureGuard)
  @UseInterceptors(IngressOutcomeInterceptor, VerifiedBodyInterceptor)
  @ApiOperation({
    summary: 'Receive one webhook from the provider',
    description:
      'Answers 200 only after the event is committed to Postgres; processing happens afterwards. ' +
      'A repeat of an event already stored (same envelope id, else webhook-id header, else same body) ' +
      'answers 200 with duplicate=true and the original id. The signature is checked over the raw bytes ' +
      'before the body is parsed; a correctly signed request whose content is refused (400) is kept in ' +
      'the quarantine (GET /admin/rejections).',
  })
  @ApiHeader({ name: 'webhook-id', required: false, description: 'Standard Webhooks message id (signed).' })
  @ApiHeader({ name: 'webhook-timestamp', required: false, description: 'Unix seconds (signed).' })
  @ApiHeader({
    name: 'webhook-signature',
    required: false,
    description: 'v1,<base64 HMAC-SHA256> (space-separated list).',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['type', 'data'],
      additionalProperties: true,
      properties: {
        id: { type: 'string', maxLength: 255 },
        type: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', example: 'subscription_user_create' },
        data: { type: 'object', additionalProperties: true },
        created_at: { type: 'string', format: 'date-time' },
      },
    },
  })
  @ApiOkResponse({ type: WebhookAckDto })
  // No refusal stores an event; a verified 400 is quarantined. The sender may retry the 429 and 503 ones.
  @ApiResponse({
    status: 400,
    type: ApiErrorDto,
    description:
      'Malformed JSON or envelope, or JSON past a limit (depth, keys, array items); `message` names each ' +
      'problem. Correctly signed ones are quarantined.',
  })
  @ApiResponse({
    status: 401,
    type: ApiErrorDto,
    description: 'Signature missing, stale or not matching; `check` says which.',
  })
  @ApiResponse({ status: 413, type: ApiErrorDto, description: 'Body larger than WEBHOOK_BODY_LIMIT.' })
  @ApiResponse({ status: 415, type: ApiErrorDto, description: 'Content-Type is not application/json.' })
  @ApiResponse({ status: 429, type: ApiErrorDto, description: 'Too many signature failures from this address.' })
  @ApiResponse({
    status: 503,
    type: ApiErrorDto,
    description: 'Not committed, nor quarantined (database unreachable): retry after Retry-After.',
  })
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body(WebhookEnvelopePipe) envelope: WebhookEnvelope,
  ): Promise<WebhookAckDto> {
    const rawBody = rawBodyOf(request);
    return this.commit(request, reply, rawBody, {
      source: DEFAULT_SOURCE,
      type: envelope.type,
      externalId: eventIdentity(envelope, request.headers, rawBody),
    });
  }

  @Post(':source')
  @HttpCode(200)
  @RawJsonBody()
  @UseGuards(KnownSourceGuard, JsonContentTypeGuard, WebhookSignatureGuard)
  @UseInterceptors(IngressOutcomeInterceptor, VerifiedBodyInterceptor)
  @ApiOperation({
    summary: 'Receive one webhook from a configured source (WEBHOOK_SOURCES)',
    description:
      "Verified with the source's scheme (Stripe, GitHub, Shopify, Slack, Standard Webhooks, an HMAC you describe, " +
      'Basic) over the raw bytes, then stored as it came, under its source: the type and identity are read where ' +
      "the source's preset (or SOURCE_<NAME>_TYPE_FROM / _ID_FROM) says. Answers 200 only after the commit; " +
      "Slack's URL-verification challenge is answered without storing anything. Unknown sources get 404.",
  })
  @ApiParam({ name: 'source', example: 'stripe', description: 'A name from WEBHOOK_SOURCES.' })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiResponse({
    status: 400,
    type: ApiErrorDto,
    description: 'Not JSON, past a JSON limit, or without what the source reads (type, id, data); quarantined.',
  })
  @ApiResponse({
    status: 401,
    type: ApiErrorDto,
    description: 'Signature missing, stale or not matching; `check` says which.',
  })
  @ApiResponse({ status: 404, type: ApiErrorDto, description: 'No such source.' })
  @ApiResponse({
    status: 503,
    type: ApiErrorDto,
    description: 'Not committed, nor quarantined: retry after Retry-After.',
  })
  async receiveFromSource(
    @Param('source') name: string,
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookAckDto | { challenge: string }> {
    const { source } = this.sources.get(name);
    const reading = readSourceEvent(source, request.body, request.headers);
    if (!reading.ok) throw new RefusedContentException('invalid_event', reading.errors);
    if ('challenge' in reading) return { challenge: reading.challenge };
    request.webhookEventType = reading.type;
    const rawBody = rawBodyOf(request);
    return this.commit(request, reply, rawBody, {
      source: source.name,
      type: reading.type,
      externalId: reading.externalId ?? bodyIdentity(rawBody),
    });
  }

  /** Commits a verified, readable event; 400 for what jsonb cannot hold, 503 when it could not be committed. */
  private async commit(
    request: RawBodyRequest<FastifyRequest>,
    reply: FastifyReply,
    rawBody: Buffer,
    event: { source: string; type: string; externalId: string },
  ): Promise<WebhookAckDto> {
    if (hasUnstorableJsonEscapes(rawBody)) {
      throw new RefusedContentException('unstorable_escape', [
        'body contains \\u0000 or an unpaired surrogate escape, which cannot be stored',
      ]);
    }
    try {
      const { id, duplicate } = await this.ingestion.ingest({
        ...event,
        rawBody,
        rawBodyText: request.rawBodyText,
        headers: request.headers,
        remoteAddress: request.ip,
      });
      return { received: true, id, duplicate };
    } catch (error) {
      if (error instanceof UnstorableEventError) throw new RefusedContentException('unstorable_value', [error.message]);
      // Not committed, so never a 2xx: ask the sender to come back.
      throw unavailable(reply, 'The event could not be stored right now; retry later', error);
    }
  }
}
