import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../app/config/app-config.js';
import { pgPool } from '../../database/pg-pool.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import type { EventStatus } from '../../inbox/entities/webhook-event.entity.js';

/** Statuses the schedule deletes; `failed` stays until replayed or purged by an operator. */
export const EXPIRING_STATUSES: EventStatus[] = ['processed', 'ignored'];
const BATCH = 1000;
/** A breather between batches so that ingestion and workers always get the rows and I/O first. */
const PAUSE_MS = 20;
const FIRST_RUN_AFTER_MS = 60_000;
const EVERY_MS = 3_600_000;

// One status at a time, no ORDER BY: a plain range scan of ix_webhook_events_status_received that
// stops at BATCH rows. SKIP LOCKED: never waits on a row a worker is updating. Deliveries and
// attempts go with their event (ON DELETE CASCADE). Each batch is its own short transaction.
const DELETE_BATCH = `
  DELETE FROM webhook_events
  WHERE id IN (
    SELECT id FROM webhook_events
    WHERE status = $1 AND received_at < $2
    LIMIT ${BATCH}
    FOR UPDATE SKIP LOCKED
  )`;

/**
 * Deletes processed and ignored events older than RETENTION_DAYS, hourly, in processes that run
 * workers. Replicas running it at the same time skip each other's rows.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private readonly pool: Pool;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopping = false;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly config: AppConfig,
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
  ) {
    this.pool = pgPool(dataSource);
  }

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
    const cutoff = new Date(Date.now() - this.config.RETENTION_DAYS * 86_400_000);
    const deleted = await this.deleteFinished(EXPIRING_STATUSES, cutoff);
    if (deleted > 0) this.logger.log(`retention deleted ${deleted} event(s) received before ${cutoff.toISOString()}`);
    return deleted;
  }

  /** Deletes events in these statuses received before `before`, batch by batch; returns the count. */
  async deleteFinished(statuses: readonly EventStatus[], before: Date): Promise<number> {
    let total = 0;
    for (const status of statuses) {
      for (;;) {
        if (this.stopping) return total;
        const { rowCount } = await this.pool.query(DELETE_BATCH, [status, before]);
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < BATCH) break;
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    }
    return total;
  }
}
