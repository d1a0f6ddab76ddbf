import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  InboxEvents,
  type DeliveryAttemptedEvent,
  type DeliveryDeadEvent,
  type WebhookReceivedEvent,
} from '../../inbox/inbox-events.js';
import { DeliveryStore } from '../../inbox/store/delivery.store.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { deadKey, transitions, type AlertReadings } from './alert-conditions.js';
import { AlertNotifier } from './alert-notifier.js';
import { ALERT_OPTIONS, type AlertOptions } from './alert-options.js';
import { AlertStore, BUCKET_SECONDS, counterNames } from './alert.store.js';

/** How often each process adds its counts to the shared counters (at most; also before each check). */
const FLUSH_MS = 5000;
const HANDLER_COUNTER = /^handler\.(attempts|failures):(.*)$/;

/**
 * Operational alerts. The listeners only count (in memory) and never wait: processing is not held
 * by an alert. Every check interval, each replica adds its counts to the shared counters in
 * Postgres, reads the shared state (counters, dead deliveries, backlog, source activity) and
 * announces what changed. Which replica announces a change is settled by the condition's row in
 * alert_states: only the one whose conditional UPDATE flipped it sends, so N replicas send one
 * message.
 */
@Injectable()
export class AlertsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Alerts');
  private counts = new Map<string, number>();
  private seen = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private checking?: Promise<void>;

  constructor(
    @Inject(ALERT_OPTIONS) private readonly options: AlertOptions,
    private readonly store: AlertStore,
    private readonly notifier: AlertNotifier,
    private readonly events: EventStore,
    private readonly deliveries: DeliveryStore,
  ) {}

  @OnEvent(InboxEvents.deliveryAttempted)
  onAttempted({ handler, outcome }: DeliveryAttemptedEvent): void {
    this.count(counterNames.attempts(handler));
    if (outcome !== 'succeeded') this.count(counterNames.failures(handler));
  }

  @OnEvent(InboxEvents.signatureRefused)
  onSignatureRefused(): void {
    this.count(counterNames.signatureFailures);
  }

  @OnEvent(InboxEvents.webhookReceived)
  onReceived({ source, outcome }: WebhookReceivedEvent): void {
    if (this.options.thresholds.sourceSilentSeconds === undefined) return;
    if (outcome === 'accepted' || outcome === 'duplicate') this.seen.add(source);
  }

  @OnEvent(InboxEvents.deliveryDead)
  onDead(dead: DeliveryDeadEvent): void {
    this.announceDead(dead).catch((error: Error) =>
      this.logger.warn(`could not announce the dead delivery ${dead.deliveryId}: ${error.message}`),
    );
  }

  onApplicationBootstrap(): void {
    const every = (ms: number, work: () => Promise<void>, what: string) => {
      const timer = setInterval(() => {
        work().catch((error: Error) => this.logger.warn(`${what} failed: ${error.message}`));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.min(FLUSH_MS, this.options.checkIntervalMs), () => this.flush(), 'adding alert counts');
    every(this.options.checkIntervalMs, () => this.check(), 'alert check');
    if (this.options.thresholds.sourceSilentSeconds !== undefined) {
      this.store
        .watchSources(this.options.sources)
        .catch((error: Error) => this.logger.warn(`could not watch the sources for silence: ${error.message}`));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.checking?.catch(() => undefined);
    await this.flush().catch(() => undefined);
  }

  /** One evaluation; overlapping calls share the one running. */
  check(): Promise<void> {
    this.checking ??= this.evaluate().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  private async flush(): Promise<void> {
    const counts = this.counts;
    const seen = this.seen;
    this.counts = new Map();
    this.seen = new Set();
    // Counts that cannot be written are dropped: an alert may come late, processing never waits.
    await Promise.all([this.store.addCounts(counts), this.store.sourcesSeen([...seen])]);
  }

  private async announceDead(dead: DeliveryDeadEvent): Promise<void> {
    const key = deadKey(dead.handler);
    if (!(await this.store.fire(key))) return;
    const detail = await this.deliveries.deadDetail(dead.deliveryId);
    this.notifier.send({
      type: 'delivery.dead',
      key,
      at: new Date(),
      details: {
        handler: dead.handler,
        eventId: dead.eventId,
        deliveryId: dead.deliveryId,
        externalId: detail?.external_id,
        eventType: detail?.type,
        source: detail?.source,
        attempts: detail?.attempts,
        lastError: detail?.last_error,
      },
    });
  }

  private async evaluate(): Promise<void> {
    await this.flush();
    const { thresholds, sources } = this.options;
    // Firing first: a condition seen firing here was fired after what it reacted to was committed,
    // so the readings below see that too (a dead delivery is never re-armed by a stale count).
    const firing = await this.store.firing();
    const [sums, dead, backlog, silences] = await Promise.all([
      this.store.sums(thresholds.handlerWindowSeconds, thresholds.signatureWindowSeconds),
      this.deliveries.deadByHandler(),
      this.events.backlog(),
      thresholds.sourceSilentSeconds === undefined ? Promise.resolve([]) : this.store.silences(sources),
    ]);
    const readings: AlertReadings = {
      handlers: handlerReadings(sums),
      dead,
      backlogAgeSeconds: backlog.ageSeconds,
      signatureFailures: sums.get(counterNames.signatureFailures) ?? 0,
      sources: silences,
    };
    for (const change of transitions(readings, thresholds, firing)) {
      const won = change.firing ? await this.store.fire(change.key) : await this.store.recover(change.key);
      if (won && change.notify) {
        this.notifier.send({ type: change.notify, key: change.key, details: change.details, at: new Date() });
      }
    }
    const longest = Math.max(thresholds.handlerWindowSeconds, thresholds.signatureWindowSeconds);
    await this.store.prune(longest + 6 * BUCKET_SECONDS);
  }
}

function handlerReadings(sums: ReadonlyMap<string, number>): AlertReadings['handlers'] {
  const byHandler = new Map<string, { handler: string; attempts: number; failures: number }>();
  for (const [name, value] of sums) {
    const match = HANDLER_COUNTER.exec(name);
    if (!match) continue;
    const [, kind, handler] = match;
    const reading = byHandler.get(handler) ?? { handler, attempts: 0, failures: 0 };
    reading[kind as 'attempts' | 'failures'] = value;
    byHandler.set(handler, reading);
  }
  return [...byHandler.values()];
}
