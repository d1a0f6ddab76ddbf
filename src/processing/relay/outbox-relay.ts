import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DeliveryStore, type StuckDelivery } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { withTimeout } from '../../shared/time-limits.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { PostgresAvailability } from '../delivery/postgres-availability.js';
import { WebhookHandlerRegistry } from '../discovery/webhook-handler.registry.js';

const BATCH = 500;
/**
 * A pass keeps queuing batches of un-queued events until none is left (or this many batches):
 * after a long Redis outage the whole backlog is queued within a second or two of Redis coming
 * back, not 500 events a second.
 */
const MAX_BATCHES_PER_PASS = 100;
/** Bounds every enqueue, so that a hung Redis cannot hold the relay's row locks. */
const REDIS_TIMEOUT_MS = 5000;
/** A delivery untouched this long while unfinished has probably lost its job. */
const STUCK_AFTER_MS = 60_000;
/** How many of the oldest queued events each pass inspects for lost dispatches and stranded events. */
const CANDIDATE_WINDOW = 2000;
/** A queued event whose dispatch job has not run after this was probably lost with Redis data. */
const LOST_DISPATCH_AFTER_MS = 30_000;

export interface RelayPass {
  /** Committed events that had never been queued. */
  events: number;
  /** Queued events whose dispatch job was lost. */
  redispatched: number;
  /** Events whose deliveries had all finished, marked processed or failed. */
  finished: number;
  /** Deliveries whose job was lost, queued again. */
  deliveries: number;
  /** Deliveries given up because their last attempt never finished. */
  abandoned: number;
}

/**
 * The transactional-outbox relay: Postgres is the source of truth, the queue only a fast path.
 * Every second it queues what the fast path missed. Row locks with SKIP LOCKED let any number of
 * replicas run it without taking the same rows; job ids and the delivery claims make a second
 * enqueue harmless anyway. It rests while Postgres is unreachable.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    private readonly events: EventStore,
    private readonly deliveries: DeliveryStore,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
    private readonly database: PostgresAvailability,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    const interval = this.options.relay.intervalMs;
    this.timer = setInterval(() => {
      if (this.running || !this.database.available) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((error: Error) => this.logger.warn(`relay pass failed, will retry: ${error.message}`))
        .finally(() => (this.running = undefined));
    }, interval);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns what it queued. */
  async tick(): Promise<RelayPass> {
    const { graceMs } = this.options.relay;
    const dispatch = (key: string) => (ids: string[]) =>
      withTimeout(this.queues.dispatch(ids, `${key}${Date.now()}`), REDIS_TIMEOUT_MS, 'adding a dispatch job');
    let events = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const queued = await this.events.relayUnqueued(graceMs, BATCH, dispatch('relay'));
      events += queued;
      if (queued < BATCH) break;
    }
    // One batch a pass: normally there is nothing, and after a loss it heals within seconds.
    const redispatched = await this.events.relayLostDispatches(
      LOST_DISPATCH_AFTER_MS,
      BATCH,
      CANDIDATE_WINDOW,
      dispatch('redispatch'),
    );
    const finished = await this.events.finishStranded(BATCH, CANDIDATE_WINDOW);
    const { requeued: deliveries, abandoned } = await this.deliveries.recoverStuck(STUCK_AFTER_MS, BATCH, (stuck) =>
      this.requeue(stuck),
    );
    if (events || redispatched || finished || deliveries || abandoned) {
      this.logger.log(
        `relay queued ${events} event(s), re-dispatched ${redispatched}, finished ${finished}, ` +
          `re-queued ${deliveries} stuck delivery(ies), abandoned ${abandoned}`,
      );
    }
    return { events, redispatched, finished, deliveries, abandoned };
  }

  /** New jobs for deliveries whose job was lost, one batch per handler. */
  private async requeue(stuck: StuckDelivery[]): Promise<void> {
    const byHandler = new Map<string, string[]>();
    for (const row of stuck) byHandler.set(row.handler, [...(byHandler.get(row.handler) ?? []), row.event_id]);
    for (const [name, eventIds] of byHandler) {
      const handler = this.registry.get(name);
      if (!handler) continue; // a handler removed from the code: its deliveries wait for an operator
      await withTimeout(
        this.queues.runHandler(handler, eventIds, `recover${Date.now()}`),
        REDIS_TIMEOUT_MS,
        'adding a handler job',
      );
    }
  }
}
