import { Injectable, Logger } from '@nestjs/common';
import { DeliveryStore, type DeliveryPlan } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { EventTypePolicy } from '../event-types/event-type-policy.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
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
    for (const event of events) {
      const handlers = (await this.policy.processes(event.type)) ? this.registry.handlersFor(event.type) : [];
      if (handlers.length === 0) {
        plan.ignoredEventIds.push(event.id);
        continue;
      }
      plan.handledEventIds.push(event.id);
      for (const handler of handlers) {
        plan.deliveries.push({ eventId: event.id, handler: handler.name, maxAttempts: handler.attempts });
      }
    }
    // Events no handler takes become `ignored`; the others get one delivery per handler.
    const created = await this.deliveries.plan(plan);

    const byHandler = new Map<RegisteredHandler, string[]>();
    for (const row of created) {
      const handler = this.registry.get(row.handler)!;
      const ids = byHandler.get(handler);
      if (ids) ids.push(row.event_id);
      else byHandler.set(handler, [row.event_id]);
    }
    await Promise.all([...byHandler].map(([handler, ids]) => this.queues.runHandler(handler, ids, 'run')));
    if (plan.ignoredEventIds.length) {
      this.logger.debug(`${plan.ignoredEventIds.length} event(s) ignored: no handler or type not processed`);
    }
  }
}
