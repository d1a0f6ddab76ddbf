import {
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';

/**
 * The inbox's side of tracing, through the OpenTelemetry API only: without an SDK (the default,
 * see src/app/tracing.ts) every call here is a no-op, and the hot paths check `tracingEnabled()`
 * first so that they do not even build the attributes.
 */
export const tracer: Tracer = trace.getTracer('webhook-inbox');

/** Span attribute names, the same on every span that concerns one event. */
export const TraceAttributes = {
  eventId: 'webhook_inbox.event.id',
  eventType: 'webhook_inbox.event.type',
  source: 'webhook_inbox.event.source',
  externalId: 'webhook_inbox.event.external_id',
  duplicate: 'webhook_inbox.event.duplicate',
  eventCount: 'webhook_inbox.event.count',
  handler: 'webhook_inbox.handler',
  deliveryId: 'webhook_inbox.delivery.id',
  attempt: 'webhook_inbox.delivery.attempt',
  outcome: 'webhook_inbox.delivery.outcome',
} as const;

let enabled: boolean | undefined;

/** Whether an SDK registered a tracer provider; settled at the first call (the SDK starts before the app). */
export function tracingEnabled(): boolean {
  if (enabled === undefined) {
    const provider = trace.getTracerProvider();
    enabled = !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('webhook-inbox') !== undefined;
  }
  return enabled;
}

/** The active span's context as a W3C traceparent, to store with an event; null without one. */
export function currentTraceParent(): string | null {
  if (!tracingEnabled()) return null;
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored traceparent names (its span as the remote parent); the root context without one. */
export function contextOf(traceParent: string | null | undefined): Context {
  if (!traceParent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent: traceParent });
}

/** A link to each stored traceparent: how a span over many events points at each event's trace. */
export function linksTo(traceParents: readonly (string | null | undefined)[]): Link[] {
  const links: Link[] = [];
  for (const traceParent of traceParents) {
    const spanContext = trace.getSpanContext(contextOf(traceParent));
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}

/** Marks `span` as failed with `error`: the exception recorded, the status an error. */
export function markFailed(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
}

/** Runs `work` in a new active span under `parent`; the span records a thrown error and always ends. */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
