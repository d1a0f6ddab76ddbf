import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EXPIRING_EVENT_STATUSES } from '../../inbox/lifecycle.js';
import { EventStore } from '../../inbox/store/event.store.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';

const FIRST_RUN_AFTER_MS = 60_000;
const EVERY_MS = 3_600_000;

/**
 * Deletes processed and ignored events older than RETENTION_DAYS, hourly, in processes that run
 * workers. Replicas running it at the same time skip each other's rows.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopping = false;

  constructor(
    private readonly events: EventStore,
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

  /** One retention pass; returns how many events it deleted. */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    const deleted = await this.events.purge(EXPIRING_EVENT_STATUSES, cutoff, () => this.stopping);
    if (deleted > 0) this.logger.log(`retention deleted ${deleted} event(s) received before ${cutoff.toISOString()}`);
    return deleted;
  }
}
