import { Injectable, Logger, Type } from '@nestjs/common';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { DeliveryStore } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { EventTypePolicy } from '../../processing/event-types/event-type-policy.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { ALL_EVENT_TYPES } from '../../processing/api/on-webhook.decorator.js';
import { RegisteredHandler, WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import { QueueDepth, queueDepths } from '../../processing/queue-depth.js';
import { DELIVERY_STATUSES, EVENT_STATUSES } from '../../inbox/lifecycle.js';
import type { EventTypeDto, EventTypeHandlerDto, HandlerDto } from './dto/handlers.dto.js';

const zeroCounts = (statuses: readonly string[]) => Object.fromEntries(statuses.map((status) => [status, 0]));

/** What the code declares (handlers, their options and DTOs) next to what the database has seen. */
@Injectable()
export class AdminHandlersService {
  private readonly logger = new Logger(AdminHandlersService.name);
  private readonly schemas = new Map<Type<object>, Record<string, unknown>>();

  constructor(
    private readonly events: EventStore,
    private readonly deliveries: DeliveryStore,
    private readonly registry: WebhookHandlerRegistry,
    private readonly queues: InboxQueues,
    private readonly policy: EventTypePolicy,
  ) {}

  async handlers(): Promise<HandlerDto[]> {
    const [counts, depths] = await Promise.all([this.deliveries.countsByHandler(), this.depths()]);
    const byHandler = new Map<string, Record<string, number>>();
    for (const row of counts) {
      const entry = byHandler.get(row.handler) ?? zeroCounts(DELIVERY_STATUSES);
      entry[row.status] = row.count;
      byHandler.set(row.handler, entry);
    }
    const registered: HandlerDto[] = this.registry.all().map((handler) => ({
      name: handler.name,
      types: handler.types,
      registered: true,
      options: options(handler),
      deliveries: byHandler.get(handler.name) ?? zeroCounts(DELIVERY_STATUSES),
      queue: depths?.find((depth) => depth.handler === handler.name) ?? null,
    }));
    // Handlers removed from the code whose deliveries are still in the database (e.g. dead ones).
    const gone: HandlerDto[] = [...byHandler.keys()]
      .filter((name) => !this.registry.get(name))
      .sort()
      .map((name) => ({
        name,
        types: [],
        registered: false,
        options: null,
        deliveries: byHandler.get(name)!,
        queue: null,
      }));
    return [...registered, ...gone];
  }

  async eventTypes(): Promise<EventTypeDto[]> {
    const [seen, subscriptions] = await Promise.all([this.events.countsByType(), this.policy.current()]);
    const types = new Map<string, { byStatus: Record<string, number>; lastSeen: Date | null }>();
    const entry = (type: string) => {
      let found = types.get(type);
      if (!found) types.set(type, (found = { byStatus: zeroCounts(EVENT_STATUSES), lastSeen: null }));
      return found;
    };
    for (const row of seen) {
      const found = entry(row.type);
      found.byStatus[row.status] = row.count;
      if (!found.lastSeen || row.last_seen > found.lastSeen) found.lastSeen = row.last_seen;
    }
    for (const type of subscriptions.types) entry(type);
    const catalog = this.registry.catalogOf();
    for (const type of catalog?.keys() ?? []) entry(type);
    for (const handler of this.registry.all())
      for (const type of handler.types) if (type !== ALL_EVENT_TYPES) entry(type);

    return [...types.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, found]) => {
        const handlers = this.registry.handlersFor(type);
        const subscribed = subscriptions.mode === 'all' || subscriptions.types.has(type);
        const dto = catalog?.get(type) ?? null;
        return {
          type,
          catalogued: catalog?.has(type) ?? false,
          dto: dto?.name ?? null,
          dataSchema: dto ? this.schemaOf(dto) : null,
          total: Object.values(found.byStatus).reduce((sum, n) => sum + n, 0),
          byStatus: found.byStatus,
          lastSeenAt: found.lastSeen ? found.lastSeen.toISOString() : null,
          subscribed,
          processed: subscribed && handlers.length > 0,
          handlers: handlers.map((handler) => this.describeHandler(handler, type)),
        };
      });
  }

  private describeHandler(handler: RegisteredHandler, type: string): EventTypeHandlerDto {
    const dto = handler.dtoOf(type);
    return { name: handler.name, dto: dto?.name ?? null, dataSchema: dto ? this.schemaOf(dto) : null };
  }

  private schemaOf(dto: Type<object>): Record<string, unknown> {
    let schema = this.schemas.get(dto);
    if (!schema) {
      schema = targetConstructorToSchema(dto) as Record<string, unknown>;
      this.schemas.set(dto, schema);
    }
    return schema;
  }

  private async depths(): Promise<QueueDepth[] | undefined> {
    try {
      return await queueDepths(this.queues, this.registry);
    } catch (error) {
      this.logger.warn(`queue counts unavailable: ${(error as Error).message}`);
      return undefined;
    }
  }
}

function options(handler: RegisteredHandler) {
  return {
    attempts: handler.attempts,
    backoff: handler.backoff,
    timeoutMs: handler.timeoutMs,
    concurrency: handler.concurrency,
    rateLimit: handler.rateLimit ?? null,
    transactional: handler.transactional,
    dto: handler.dto?.name ?? null,
    batchSize: handler.batchSize,
    ordering: handler.ordering
      ? {
          orderBy: handler.ordering.describe,
          onDead: handler.ordering.onDead,
          onMissingKey: handler.ordering.onMissingKey,
        }
      : null,
  };
}
