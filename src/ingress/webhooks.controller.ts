import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorDto } from '../shared/api-error.dto.js';
import { hasUnstorableJsonEscapes, type WebhookEnvelope } from './envelope/webhook-envelope.js';
import { WebhookEnvelopePipe } from './envelope/webhook-envelope.pipe.js';
import { IngressOutcomeInterceptor } from './ingress-outcome.interceptor.js';
import { UnstorableEventError } from './event-writer.js';
import { JsonContentTypeGuard } from './json-content-type.guard.js';
import { WebhookAckDto } from './webhook-ack.dto.js';
import { WebhookIngestionService } from './webhook-ingestion.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

/** Seconds a sender should wait before retrying when the database is unreachable. */
const RETRY_AFTER_SECONDS = '5';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly ingestion: WebhookIngestionService) {}

  @Post()
  @HttpCode(200)
  @UseGuards(JsonContentTypeGuard, WebhookSignatureGuard)
  @UseInterceptors(IngressOutcomeInterceptor)
  @ApiOperation({
    summary: 'Receive one webhook from the provider',
    description:
      'Answers 200 only after the event is committed to Postgres; processing happens afterwards. ' +
      'A repeat of an event already stored (same envelope id, else webhook-id header, else same body) ' +
      'answers 200 with duplicate=true and the original id.',
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
  // Every refusal stores nothing; the sender may retry the 429 and 503 ones.
  @ApiResponse({
    status: 400,
    type: ApiErrorDto,
    description: 'Malformed JSON or envelope; `message` names each field.',
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
    description: 'Not committed (database unreachable): retry after Retry-After.',
  })
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body(WebhookEnvelopePipe) envelope: WebhookEnvelope,
  ): Promise<WebhookAckDto> {
    const rawBody = request.rawBody ?? Buffer.alloc(0);
    if (hasUnstorableJsonEscapes(rawBody)) {
      throw new BadRequestException(['body contains \\u0000 or an unpaired surrogate escape, which cannot be stored']);
    }
    try {
      const { id, duplicate } = await this.ingestion.ingest({
        envelope,
        rawBody,
        headers: request.headers,
        remoteAddress: request.ip,
      });
      return { received: true, id, duplicate };
    } catch (error) {
      if (error instanceof UnstorableEventError) throw new BadRequestException([error.message]);
      // Not committed, so never a 2xx: ask the sender to come back.
      reply.header('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('The event could not be stored right now; retry later', {
        cause: error,
      });
    }
  }
}
