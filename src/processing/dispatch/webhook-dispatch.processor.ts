import { Injectable, Logger } from '@nestjs/common';
import { DeliveryStore, type DeliveryPlan } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { DEFAULT_SOURCE } from '../../shared/sources/webhook-source.js';
import { EventTypePolicy } from '../event-types/event-type-policy.js';
import { handlerJobs, InboxQueues } from '../../inbox/inbox-queues.js';
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
  ) {}

  async process(eventIds: string[]): Promise<void> {
    const events = await this.events.waitingForDispatch(eventIds);
    if (events.length === 0) return;
    const plan: DeliveryPlan = { ignoredEventIds: [], handledEventIds: [], deliveries: [] };
    const byHandler = new Map<RegisteredHandler, string[]>();
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
      for (const handler of handlers) byHandler.set(handler, [...(byHandler.get(handler) ?? []), event.id]);
    }
    // Each delivery is created with the id of the job that will carry it, so that the relay can
    // look the job up before it queues the delivery again.
    const jobs = [...byHandler].map(([handler, ids]) => ({ handler, jobs: handlerJobs(handler, ids, 'run') }));
    for (const { handler, jobs: handlerJobsOf } of jobs) {
      for (const job of handlerJobsOf) {
        for (const eventId of job.eventIds) {
          plan.deliveries.push({ eventId, handler: handler.name, maxAttempts: handler.attempts, jobId: job.id });
        }
      }
    }
    // Events no handler takes become `ignored`; the others get one delivery per handler.
    const created = new Set((await this.deliveries.plan(plan)).map((row) => `${row.handler}/${row.job_id}`));
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
}
