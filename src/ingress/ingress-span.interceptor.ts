import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { finalize, Observable, tap } from 'rxjs';
import { DEFAULT_SOURCE } from '../shared/sources/webhook-source.js';
import { TraceAttributes, tracer, tracingEnabled } from '../shared/tracing.js';
import { eventTypeOf } from './ingress-outcome.interceptor.js';
import type { WebhookAckDto } from './webhook-ack.dto.js';

/**
 * The span of one POST /webhooks[/{source}] (when tracing is on): it is active while the event is
 * committed, so the traceparent stored with the event (see WebhookIngestionService) names it, and
 * dispatch and every handler attempt continue its trace. It carries the event's inbox id, type and
 * source. A sender's own traceparent header, if any, becomes its parent.
 */
@Injectable()
export class IngressSpanInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<WebhookAckDto> {
    if (!tracingEnabled()) return next.handle() as Observable<WebhookAckDto>;
    const request = execution.switchToHttp().getRequest<FastifyRequest>();
    const named = (request.params as { source?: string } | undefined)?.source;
    const route = named === undefined ? '/webhooks' : '/webhooks/:source';
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      `POST ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'POST',
          'http.route': route,
          [TraceAttributes.source]: named ?? DEFAULT_SOURCE,
        },
      },
      parent,
    );
    // Nest binds the handler to the async context current when handle() is called.
    const handled = context.with(trace.setSpan(parent, span), () => next.handle()) as Observable<WebhookAckDto>;
    return handled.pipe(
      tap({
        next: (ack) => {
          const type = eventTypeOf(request);
          span.setAttributes({ [TraceAttributes.eventId]: ack.id, [TraceAttributes.duplicate]: ack.duplicate });
          if (type !== undefined) span.setAttribute(TraceAttributes.eventType, type);
          span.setAttribute('http.response.status_code', 200);
        },
        error: (error: unknown) => {
          const status = error instanceof HttpException ? error.getStatus() : 500;
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) {
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          }
        },
      }),
      finalize(() => span.end()),
    );
  }
}
