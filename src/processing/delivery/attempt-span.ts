import { SpanKind } from '@opentelemetry/api';
import type { AttemptOutcome } from '../../inbox/entities/delivery-attempt.entity.js';
import type { StartedDelivery } from '../../inbox/store/delivery.store.js';
import { contextOf, inSpan, markFailed, TraceAttributes, tracingEnabled } from '../../shared/tracing.js';
import type { RegisteredHandler } from '../discovery/webhook-handler.registry.js';

/**
 * Runs one attempt in a span of its own (when tracing is on), a child of the span that received
 * the event, so every attempt, in whatever worker and after however many retries, is in the
 * event's trace. The span is active while the handler runs: it is the handler's `context.span`,
 * and the handler's queries and Redis calls are its children.
 */
export function traced<T extends { outcome: AttemptOutcome; error?: Error }>(
  handler: RegisteredHandler,
  delivery: StartedDelivery,
  attempt: () => Promise<T | undefined>,
): Promise<T | undefined> {
  if (!tracingEnabled()) return attempt();
  const options = {
    kind: SpanKind.CONSUMER,
    attributes: {
      [TraceAttributes.handler]: handler.name,
      [TraceAttributes.eventId]: delivery.event_id,
      [TraceAttributes.eventType]: delivery.type,
      [TraceAttributes.source]: delivery.source,
      [TraceAttributes.deliveryId]: delivery.id,
      [TraceAttributes.attempt]: delivery.attempts,
    },
  };
  return inSpan(`webhook.handle ${handler.name}`, options, contextOf(delivery.trace_parent), async (span) => {
    const result = await attempt();
    if (result === undefined) {
      span.setAttribute(TraceAttributes.outcome, 'taken_over');
      return result;
    }
    span.setAttribute(TraceAttributes.outcome, result.outcome);
    if (result.error) markFailed(span, result.error);
    return result;
  });
}
