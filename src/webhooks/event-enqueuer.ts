import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { InboxQueues } from '../handlers/inbox-queues.js';
import { pgPool } from '../database/pg-pool.js';

const MAX_IDS_PER_JOB = 500;

/**
 * Puts committed events on the dispatch queue, after their requests were answered: ids that
 * commit in the same tick travel in one job. A failure here loses nothing (the rows stay
 * `received` and the relay queues them), so it is logged, never surfaced to the sender.
 */
@Injectable()
export class EventEnqueuer implements OnApplicationShutdown {
  private readonly logger = new Logger(EventEnqueuer.name);
  private readonly pool: Pool;
  private pending: string[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly queues: InboxQueues,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.pool = pgPool(dataSource);
  }

  enqueue(eventId: string): void {
    this.pending.push(eventId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ids = this.pending;
    this.pending = [];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_JOB) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_JOB);
      const work = this.send(chunk).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
  }

  private async send(eventIds: string[]): Promise<void> {
    try {
      await this.queues.dispatch(eventIds);
    } catch (error) {
      this.logger.warn(`could not queue ${eventIds.length} event(s), the relay will: ${(error as Error).message}`);
      return;
    }
    await this.pool
      .query(`UPDATE webhook_events SET status = 'queued' WHERE id = ANY($1::uuid[]) AND status = 'received'`, [eventIds])
      .catch((error: Error) => this.logger.warn(`could not mark ${eventIds.length} event(s) queued: ${error.message}`));
  }

  /** Lets enqueues already started finish, so a deploy does not leave work for the relay. */
  async onApplicationShutdown(): Promise<void> {
    if (this.pending.length) this.flush();
    await Promise.allSettled([...this.inFlight]);
  }
}
