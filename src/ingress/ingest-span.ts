import { context, propagation, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { markFailed, TraceAttributes, tracer } from '../shared/tracing.js';

/**
 * The span of one POST /webhooks[/{source}], when tracing is on. It is active while the event is
 * committed, so the traceparent stored with the event (WebhookIngestionService) names it, and
 * dispatch and every handler attempt continue its trace. It carries the event's inbox id, type and
 * source. A sender's own traceparent header, if any, becomes its parent.
 */
export class IngestSpan {
  private readonly span: Span;
  private readonly active;

  constructor(request: FastifyRequest, source: string) {
    const named = (request.params as { source?: string } | undefined)?.source !== undefined;
    const route = named ? '/webhooks/:source' : '/webhooks';
    const parent = propagation.extract(context.active(), request.headers);
    this.span = tracer.startSpan(
      `POST ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': 'POST', 'http.route': route, [TraceAttributes.source]: source },
      },
      parent,
    );
    this.active = trace.setSpan(parent, this.span);
  }

  /** Runs `work` with the span active (Nest binds a handler to the async context current when handle() is called). */
  run<T>(work: () => T): T {
    return context.with(this.active, work);
  }

  answered(ack: { id: string; duplicate: boolean }, type: string | undefined): void {
    this.span.setAttributes({
      [TraceAttributes.eventId]: ack.id,
      [TraceAttributes.duplicate]: ack.duplicate,
      'http.response.status_code': 200,
    });
    if (type !== undefined) this.span.setAttribute(TraceAttributes.eventType, type);
  }

  refused(status: number, error: unknown, type: string | undefined): void {
    this.span.setAttribute('http.response.status_code', status);
    if (type !== undefined) this.span.setAttribute(TraceAttributes.eventType, type);
    if (status >= 500) markFailed(this.span, error);
  }

  end(): void {
    this.span.end();
  }
}
