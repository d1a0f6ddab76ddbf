import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { DeliveryStore, type OrderingBacklog } from '../../inbox/store/delivery.store.js';
import { EventStore, type EventBacklog } from '../../inbox/store/event.store.js';
import { withTimeout } from '../../shared/time-limits.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import { InboxMetrics } from './inbox-metrics.js';
import { QUEUE_STATES, QueueDepth, queueDepths } from '../../processing/queue-depth.js';

/** A scrape must answer within Prometheus' timeout even when Redis or Postgres hangs. */
const READ_TIMEOUT_MS = 2000;
/** The gauges of one scrape share one read of the shared state. */
const SNAPSHOT_TTL_MS = 1000;

interface Snapshot {
  depths?: QueueDepth[];
  dead?: { handler: string; count: number }[];
  backlog?: EventBacklog;
  ordering?: OrderingBacklog;
}

/**
 * Gauges read at scrape time from the shared state (Redis queues, Postgres), so every replica
 * reports the same truth: queue depth, dead deliveries waiting for an operator, the backlog. A
 * source that does not answer leaves its gauges out and sets webhook_inbox_source_up to 0.
 */
@Injectable()
export class InboxStateCollector implements OnModuleInit {
  private readonly logger = new Logger(InboxStateCollector.name);
  private snapshot?: Promise<Snapshot>;
  private snapshotAt = 0;

  constructor(
    private readonly metrics: InboxMetrics,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
    private readonly events: EventStore,
    private readonly deliveries: DeliveryStore,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const current = () => this.current();
    const handlers = () => this.registry.all().map((handler) => handler.name);

    new Gauge({
      name: 'webhook_inbox_source_up',
      help: '1 when the source (redis, postgres) answered this scrape, 0 when it did not (its gauges are then left out).',
      labelNames: ['source'] as const,
      registers,
      async collect() {
        const { depths, dead, backlog } = await current();
        this.set({ source: 'redis' }, depths ? 1 : 0);
        this.set({ source: 'postgres' }, dead && backlog ? 1 : 0);
      },
    });
    new Gauge({
      name: 'webhook_inbox_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, failed).',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        for (const depth of (await current()).depths ?? []) {
          for (const state of QUEUE_STATES) this.set({ queue: depth.queue, state }, depth[state]);
        }
      },
    });
    new Gauge({
      name: 'webhook_inbox_deliveries_dead',
      help: 'Dead deliveries in the database (attempts used up, waiting for a replay or a purge), by handler.',
      labelNames: ['handler'] as const,
      registers,
      async collect() {
        this.reset();
        const { dead } = await current();
        if (!dead) return;
        for (const handler of handlers()) this.set({ handler }, 0);
        for (const row of dead) this.set({ handler: row.handler }, row.count);
      },
    });
    new Gauge({
      name: 'webhook_inbox_events_unfinished',
      help: 'Events received or queued, not yet processed.',
      registers,
      async collect() {
        this.reset();
        const { backlog } = await current();
        if (backlog) this.set(backlog.unfinished);
      },
    });
    this.orderingGauges(registers, current);
    new Gauge({
      name: 'webhook_inbox_events_oldest_unfinished_age_seconds',
      help: 'Age of the oldest event not yet processed (received or queued): how far behind processing is.',
      registers,
      async collect() {
        this.reset();
        const { backlog } = await current();
        if (backlog) this.set(backlog.ageSeconds);
      },
    });
  }

  private orderingGauges(registers: Registry[], current: () => Promise<Snapshot>): void {
    const gauge = (name: string, help: string, read: (ordering: OrderingBacklog) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.reset();
          const { ordering } = await current();
          if (ordering) this.set(read(ordering));
        },
      });
    gauge(
      'webhook_inbox_ordering_keys_blocked',
      'Keys of ordered handlers whose head is failing (retrying, or dead and not skipped): see GET /admin/ordering/blocked.',
      (ordering) => ordering.blockedKeys,
    );
    gauge(
      'webhook_inbox_ordering_deliveries_waiting',
      'Deliveries waiting behind the failing heads of their keys.',
      (ordering) => ordering.waiting,
    );
    gauge(
      'webhook_inbox_ordering_oldest_blocked_age_seconds',
      'Seconds since the first attempt of the longest-failing head of a key; 0 when no key is blocked.',
      (ordering) => ordering.oldestAgeSeconds,
    );
  }

  private current(): Promise<Snapshot> {
    if (!this.snapshot || Date.now() - this.snapshotAt > SNAPSHOT_TTL_MS) {
      this.snapshotAt = Date.now();
      this.snapshot = this.read();
    }
    return this.snapshot;
  }

  private async read(): Promise<Snapshot> {
    const attempt = <T>(what: string, work: () => Promise<T>) =>
      withTimeout(work(), READ_TIMEOUT_MS, what).catch((error: Error) => {
        this.logger.warn(`metrics: ${error.message}`);
        return undefined;
      });
    const ordered = this.registry.all().some((handler) => handler.ordering);
    const [depths, dead, backlog, ordering] = await Promise.all([
      attempt('redis', () => queueDepths(this.queues, this.registry)),
      attempt('postgres', () => this.deliveries.deadByHandler()),
      attempt('postgres', () => this.events.backlog()),
      ordered ? attempt('postgres', () => this.deliveries.orderingBacklog()) : Promise.resolve(undefined),
    ]);
    return { depths, dead, backlog, ordering };
  }
}
