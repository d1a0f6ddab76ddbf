import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, from, Observable, throwError } from 'rxjs';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import { DEFAULT_SOURCE } from '../shared/sources/webhook-source.js';
import { parseJsonBody, type JsonLimits } from './body/json-body.js';
import { rawBodyOf } from './body/raw-json-body.js';
import { RefusedContentException } from './refused-content.exception.js';
import { unavailable } from './unavailable.js';
import { WebhookIngestionService } from './webhook-ingestion.service.js';

/**
 * Runs after the guards, so only on requests whose signature over the raw bytes was checked (or
 * every request, in development without WEBHOOK_SECRET). It parses those bytes (JSON limits first,
 * see parseJsonBody) into `request.body`, for the envelope pipe and the handler, and keeps their
 * text in `request.rawBodyText`, for the event's payload. Whenever the content is refused, here, in
 * the envelope pipe or in the handler (a RefusedContentException), the request is quarantined
 * before the 400 goes out; if that cannot be stored, the answer is 503 with Retry-After instead, so
 * the sender keeps the request and sends it again.
 */
@Injectable()
export class VerifiedBodyInterceptor implements NestInterceptor {
  private readonly limits: JsonLimits;

  constructor(
    private readonly ingestion: WebhookIngestionService,
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
  ) {
    const { jsonMaxDepth, jsonMaxKeys, jsonMaxArrayItems } = options.ingestion;
    this.limits = { maxDepth: jsonMaxDepth, maxKeys: jsonMaxKeys, maxArrayItems: jsonMaxArrayItems };
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<RawBodyRequest<FastifyRequest>>();
    const rawBody = rawBodyOf(request);
    const refuse = (error: unknown) =>
      error instanceof RefusedContentException
        ? from(this.quarantine(request, http.getResponse<FastifyReply>(), rawBody, error))
        : throwError(() => error);
    try {
      const { value, text } = parseJsonBody(rawBody, this.limits);
      request.body = value;
      request.rawBodyText = text;
    } catch (error) {
      return refuse(error);
    }
    return next.handle().pipe(catchError(refuse));
  }

  /** Stores the refused request, then rejects with the 400 (or a 503 when it could not be stored). */
  private async quarantine(
    request: FastifyRequest,
    reply: FastifyReply,
    rawBody: Buffer,
    refusal: RefusedContentException,
  ): Promise<never> {
    try {
      await this.ingestion.quarantine({
        source: (request.params as { source?: string } | undefined)?.source ?? DEFAULT_SOURCE,
        refusal,
        rawBody,
        headers: request.headers,
        remoteAddress: request.ip,
      });
    } catch (cause) {
      throw unavailable(reply, 'The refused request could not be recorded right now; retry later', cause);
    }
    throw refusal;
  }
}
