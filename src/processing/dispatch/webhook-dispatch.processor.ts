import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { ROOT_CONTEXT, SpanKind, type SpanOptions } from '@opentelemetry/api';
import { InboxEvents, type DeliveryDeadEvent } from '../../inbox/inbox-events.js';
import { DeliveryStore, type DeliveryPlan, type PlannedRow } from '../../inbox/store/delivery.store.js';
import { EventStore, type WaitingEvent } from '../../inbox/store/event.store.js';
import { contextOf, inSpan, linksTo, TraceAttributes, tracingEnabled } from '../../shared/tracing.js';
import { DEFAULT_SOURCE } from '../../shared/sources/webhook-source.js';
import { SourceData } from '../delivery/source-data.js';
import { EventTypePolicy } from '../event-types/event-type-policy.js';
import { handlerJobs, InboxQueues } from '../../inbox/inbox-queues.js';
import { orderingEvent, orderKeyOf } from '../discovery/order-key.js';
import { RegisteredHandler, WebhookHandlerRegistry } from '../discovery/webhook-handler.registry.js';

/** First step for every committed event: decide which handlers run it, then queue their jobs. */
@Injectable()
export class WebhookDispatchProcessor {
  private readonly logger = new Logger(WebhookDispatchProcessor.name);

  constructor(
    private readonly events: EventStore,
    private readonly deliveries: DeliveryStore,
    private readonly registry: WebhookHandlerRegistry,
    private readonly policy: EventTypePolicy,
    private readonly queues: InboxQueues,
    private readonly lifecycle: EventEmitter2,
    private readonly sourceData: SourceData,
  ) {}

  async process(eventIds: string[]): Promise<void> {
    const ordered = this.registry.all().some((handler) => handler.ordering);
    const events = await this.events.waitingForDispatch(eventIds, ordered);
    if (events.length === 0) return;
    if (!tracingEnabled()) return this.dispatch(events);
    // One job carries many events, each from its own trace: the span continues the trace of a
    // lone event and links to every event's.
    const options: SpanOptions = {
      kind: SpanKind.CONSUMER,
      links: linksTo(events.map((event) => event.trace_parent)),
      attributes: {
        [TraceAttributes.eventCount]: events.length,
        ...(events.length === 1 ? { [TraceAttributes.eventId]: events[0].id } : {}),
      },
    };
    const parent = events.length === 1 ? contextOf(events[0].trace_parent) : ROOT_CONTEXT;
    await inSpan('webhook.dispatch', options, parent, () => this.dispatch(events));
  }

  private async dispatch(events: WaitingEvent[]): Promise<void> {
    const plan: DeliveryPlan = { ignoredEventIds: [], handledEventIds: [], deliveries: [] };
    const byHandler = new Map<RegisteredHandler, string[]>();
    // An ordered handler's key for each event; refused events get a dead delivery and no job.
    const keys = new Map<string, string | null>();
    for (const event of events) {
      // The subscriptions list mirrors what the default sender sends; other sources are processed
      // wherever a handler of theirs takes the type.
      const processed = event.source !== DEFAULT_SOURCE || (await this.policy.processes(event.type));
      const handlers = processed ? this.registry.handlersFor(event.type, event.source) : [];
      if (handlers.length === 0) {
        plan.ignoredEventIds.push(event.id);
        continue;
      }
      plan.handledEventIds.push(event.id);
      for (const handler of handlers) {
        if (handler.ordering) {
          const result = orderKeyOf(handler.ordering, orderingEvent(event, this.sourceData.of));
          if ('refusal' in result) {
            plan.deliveries.push({
              eventId: event.id,
              handler: handler.name,
              maxAttempts: handler.attempts,
              jobId: null,
              refusal: result.refusal,
            });
            continue;
          }
          keys.set(`${handler.name}/${event.id}`, result.key);
        }
        byHandler.set(handler, [...(byHandler.get(handler) ?? []), event.id]);
      }
    }
    // Each delivery is created with the id of the job that will carry it, so that the relay can
    // look the job up before it queues the delivery again.
    const jobs = [...byHandler].map(([handler, ids]) => ({ handler, jobs: handlerJobs(handler, ids, 'run') }));
    for (const { handler, jobs: handlerJobsOf } of jobs) {
      for (const job of handlerJobsOf) {
        for (const eventId of job.eventIds) {
          plan.deliveries.push({
            eventId,
            handler: handler.name,
            maxAttempts: handler.attempts,
            jobId: job.id,
            orderKey: keys.get(`${handler.name}/${eventId}`) ?? null,
          });
        }
      }
    }
    // Events no handler takes become `ignored`; the others get one delivery per handler.
    const planned = await this.deliveries.plan(plan);
    const created = new Set(planned.map((row) => `${row.handler}/${row.job_id}`));
    await this.refused(plan, planned);
    // Only jobs with a delivery created now: a second dispatch of the same events adds nothing.
    await Promise.all(
      jobs.map(({ handler, jobs: handlerJobsOf }) =>
        this.queues.addHandlerJobs(
          handler.name,
          handlerJobsOf.filter((job) => created.has(`${handler.name}/${job.id}`)),
        ),
      ),
    );
    if (plan.ignoredEventIds.length) {
      this.logger.debug(`${plan.ignoredEventIds.length} event(s) ignored: no handler or type not processed`);
    }
  }

  /** Deliveries refused at planning (no ordering key): logged, counted, and their events finished. */
  private async refused(plan: DeliveryPlan, planned: PlannedRow[]): Promise<void> {
    const refusals = plan.deliveries.filter((d) => d.refusal !== undefined);
    if (refusals.length === 0) return;
    const created = new Map(planned.map((row) => [`${row.handler}/${row.event_id}`, row.id]));
    for (const delivery of refusals) {
      const deliveryId = created.get(`${delivery.handler}/${delivery.eventId}`);
      if (deliveryId === undefined) continue;
      this.logger.warn({
        eventId: delivery.eventId,
        handler: delivery.handler,
        msg: `delivery dead: ${delivery.refusal}`,
      });
      this.lifecycle.emit(InboxEvents.deliveryDead, {
        handler: delivery.handler,
        eventId: delivery.eventId,
        deliveryId,
      } satisfies DeliveryDeadEvent);
    }
    await this.events.finish([...new Set(refusals.map((d) => d.eventId))]);
  }
}
