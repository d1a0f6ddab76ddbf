import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { finalize, Observable, tap } from 'rxjs';
import { InboxEvents, type IngestOutcome, type WebhookReceivedEvent } from '../inbox/inbox-events.js';
import { DEFAULT_SOURCE } from '../shared/sources/webhook-source.js';
import { tracingEnabled } from '../shared/tracing.js';
import { InvalidEnvelopeException } from './envelope/webhook-envelope.pipe.js';
import { IngestSpan } from './ingest-span.js';
import type { WebhookAckDto } from './webhook-ack.dto.js';

/**
 * Publishes `webhook.received` for every request that passed the guards: accepted, duplicate,
 * rejected (400) or unavailable (503), with the time to the answer. Metrics subscribe to it. With
 * tracing on, the request's span is opened and closed here too: one interceptor on the hot path,
 * not two.
 */
@Injectable()
export class IngressOutcomeInterceptor implements NestInterceptor {
  constructor(private readonly events: EventEmitter2) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<WebhookAckDto> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const source = (request.params as { source?: string } | undefined)?.source ?? DEFAULT_SOURCE;
    const publish = (outcome: IngestOutcome, type: string | undefined) =>
      this.events.emit(InboxEvents.webhookReceived, {
        source,
        type,
        outcome,
        elapsedMs: reply.elapsedTime,
      } satisfies WebhookReceivedEvent);
    const span = tracingEnabled() ? new IngestSpan(request, source) : undefined;
    const handled = (span ? span.run(() => next.handle()) : next.handle()) as Observable<WebhookAckDto>;
    const observed = handled.pipe(
      tap({
        next: (ack) => {
          const type = typeOf(request);
          publish(ack.duplicate ? 'duplicate' : 'accepted', type);
          span?.answered(ack, type);
        },
        error: (error: unknown) => {
          const status = error instanceof HttpException ? error.getStatus() : 500;
          const type = error instanceof InvalidEnvelopeException ? undefined : typeOf(request);
          publish(status < 500 ? 'rejected' : 'unavailable', type);
          span?.refused(status, error, type);
        },
      }),
    );
    return span ? observed.pipe(finalize(() => span.end())) : observed;
  }
}

/** The type the route read (a source's may come from a header), else the envelope's. */
const typeOf = (request: FastifyRequest): string | undefined => {
  if (request.webhookEventType !== undefined) return request.webhookEventType;
  const type = (request.body as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
};
