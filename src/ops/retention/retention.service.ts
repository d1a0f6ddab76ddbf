import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EXPIRING_EVENT_STATUSES } from '../../inbox/lifecycle.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { RejectionStore } from '../../inbox/store/rejection.store.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';

const FIRST_RUN_AFTER_MS = 60_000;
const EVERY_MS = 3_600_000;

/** What one retention pass deleted. */
export interface RetentionResult {
  /** Processed and ignored events (with their deliveries and attempts). */
  events: number;
  /** Quarantined requests (webhook_rejections). */
  rejections: number;
}

/**
 * Deletes processed and ignored events, and quarantined requests, older than RETENTION_DAYS,
 * hourly, in processes that run workers. Replicas running it at the same time skip each other's rows.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopping = false;

  constructor(
    private readonly events: EventStore,
    private readonly rejections: RejectionStore,
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    const run = () => {
      if (this.running) return;
      this.running = this.purgeExpired()
        .catch((error: Error) => this.logger.warn(`retention pass failed, next one in an hour: ${error.message}`))
        .finally(() => (this.running = undefined));
    };
    this.timer = setTimeout(() => {
      run();
      this.timer = setInterval(run, EVERY_MS);
      this.timer.unref();
    }, FIRST_RUN_AFTER_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.running;
  }

  /** One retention pass; returns how many events and quarantined requests it deleted. */
  async purgeExpired(): Promise<RetentionResult> {
    const cutoff = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    const stopped = () => this.stopping;
    const events = await this.events.purge(EXPIRING_EVENT_STATUSES, cutoff, stopped);
    if (events > 0) this.logger.log(`retention deleted ${events} event(s) received before ${cutoff.toISOString()}`);
    const rejections = await this.rejections.purge(cutoff, stopped);
    if (rejections > 0) {
      this.logger.log(`retention deleted ${rejections} quarantined request(s) received before ${cutoff.toISOString()}`);
    }
    return { events, rejections };
  }
}
