import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DeliveryStore, type StuckDecision, type StuckDelivery } from '../../inbox/store/delivery.store.js';
import { EventStore, type BacklogCursor } from '../../inbox/store/event.store.js';
import { withTimeout } from '../../shared/time-limits.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { handlerJobs, InboxQueues } from '../../inbox/inbox-queues.js';
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
/** Queued events each pass inspects for lost dispatches and stranded events; the passes walk the whole backlog. */
const BACKLOG_PAGE = 1000;
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
  private backlogCursor?: BacklogCursor;
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
    // Job ids derive from the events a job carries: sending the same batch twice adds one job.
    const dispatch = (key: string) => (ids: string[]) =>
      withTimeout(this.queues.dispatch(ids, key), REDIS_TIMEOUT_MS, 'adding a dispatch job');
    let events = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const queued = await this.events.relayUnqueued(graceMs, BATCH, dispatch('relay'));
      events += queued;
      if (queued < BATCH) break;
    }
    const { redispatched, finished } = await this.walkBacklog(dispatch('redispatch'));
    // A delivery given up on here frees its key when its handler's ordering says `onDead: 'skip'`.
    const skipDeadOf = this.registry
      .all()
      .filter((handler) => handler.ordering?.onDead === 'skip')
      .map((handler) => handler.name);
    const recovered = await this.deliveries.recoverStuck(
      STUCK_AFTER_MS,
      BATCH,
      (stuck) => this.requeue(stuck),
      skipDeadOf,
    );
    const { requeued: deliveries, abandoned } = recovered;
    if (events || redispatched || finished || deliveries || abandoned) {
      this.logger.log(
        `relay queued ${events} event(s), re-dispatched ${redispatched}, finished ${finished}, ` +
          `re-queued ${deliveries} stuck delivery(ies), abandoned ${abandoned}`,
      );
    }
    return { events, redispatched, finished, deliveries, abandoned };
  }

  /**
   * One page of the queued backlog a pass, continuing where the last pass stopped and starting
   * over at its end, so every queued event is looked at however large the backlog is and however
   * many old rows (a long-retrying delivery, a handler removed from the code) it holds.
   */
  private async walkBacklog(
    redispatch: (ids: string[]) => Promise<void>,
  ): Promise<{ redispatched: number; finished: number }> {
    const page = await this.events.queuedPage(this.backlogCursor, BACKLOG_PAGE, LOST_DISPATCH_AFTER_MS);
    this.backlogCursor = page.next;
    const finished = (await this.events.finish(page.stranded)).length;
    // An event whose dispatch job is merely waiting behind others is not lost: while the dispatch
    // queue holds jobs, nothing is sent again (it drains fast: dispatch only plans).
    if (page.lost.length === 0 || (await this.dispatchQueueBusy())) return { redispatched: 0, finished };
    return { redispatched: await this.events.relayLost(page.lost, redispatch), finished };
  }

  private async dispatchQueueBusy(): Promise<boolean> {
    const counts = await withTimeout(
      this.queues.dispatchQueue.getJobCounts('waiting', 'prioritized', 'active', 'delayed'),
      REDIS_TIMEOUT_MS,
      'counting dispatch jobs',
    );
    return Object.values(counts).some((count) => count > 0);
  }

  /**
   * For deliveries that may have lost their job: those whose job is still waiting, delayed or
   * running are left alone; the others go on a new job whose id derives from the delivery and its
   * attempt, so that queuing the same delivery twice adds one job.
   */
  private async requeue(stuck: StuckDelivery[]): Promise<StuckDecision> {
    const decision: StuckDecision = { waiting: [], requeued: [] };
    for (const delivery of stuck) {
      const handler = this.registry.get(delivery.handler);
      if (!handler) continue; // a handler removed from the code: its deliveries wait for an operator
      if (
        delivery.job_id &&
        (await withTimeout(
          this.queues.handlerJobPending(handler.name, delivery.job_id),
          REDIS_TIMEOUT_MS,
          'looking up a job',
        ))
      ) {
        decision.waiting.push(delivery.id);
        continue;
      }
      const [job] = handlerJobs(handler, [delivery.event_id], `recover${delivery.attempts}`);
      await withTimeout(this.queues.requeueHandlerJob(handler.name, job), REDIS_TIMEOUT_MS, 'adding a handler job');
      decision.requeued.push({ id: delivery.id, jobId: job.id });
    }
    return decision;
  }
}
