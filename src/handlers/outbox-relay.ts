import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg-pool.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import { InboxQueues } from './inbox-queues.js';
import { WebhookHandlerRegistry } from './webhook-handler.registry.js';

const BATCH = 500;
/** A delivery untouched this long while unfinished has probably lost its job. */
const STUCK_AFTER = `interval '60 seconds'`;

// Events committed but never queued (Redis was down, the process died between commit and enqueue).
const UNQUEUED_EVENTS = `
  SELECT id FROM webhook_events
  WHERE status = 'received' AND received_at < now() - $1::int * interval '1 millisecond'
  ORDER BY received_at
  LIMIT ${BATCH}
  FOR UPDATE SKIP LOCKED`;

// Deliveries whose job is gone: never started, abandoned by a crashed worker past its lease, or a
// retry whose delayed job was lost.
const STUCK_DELIVERIES = `
  SELECT id, event_id, handler FROM webhook_deliveries
  WHERE status IN ('pending', 'running', 'retrying') AND updated_at < now() - ${STUCK_AFTER}
    AND (status = 'pending'
      OR (status = 'running' AND lease_until < now())
      OR (status = 'retrying' AND next_attempt_at < now() - interval '30 seconds'))
  LIMIT ${BATCH}
  FOR UPDATE SKIP LOCKED`;

/**
 * The transactional-outbox relay: Postgres is the source of truth, the queue only a fast path.
 * Every second it queues what the fast path missed. Row locks with SKIP LOCKED let any number of
 * replicas run it without taking the same rows; job ids and the delivery claims make a second
 * enqueue harmless anyway.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly pool: Pool;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
  ) {
    this.pool = pgPool(dataSource);
  }

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    const interval = this.options.relay?.intervalMs ?? 1000;
    this.timer = setInterval(() => {
      if (this.running) return;
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

  /** One pass; returns how many events and deliveries it queued. */
  async tick(): Promise<{ events: number; deliveries: number }> {
    const events = await this.inTransaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(UNQUEUED_EVENTS, [this.options.relay?.graceMs ?? 3000]);
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await this.queues.dispatch(ids, `relay${Date.now()}`);
      await client.query(`UPDATE webhook_events SET status = 'queued' WHERE id = ANY($1::uuid[])`, [ids]);
      return ids.length;
    });
    const deliveries = await this.inTransaction(async (client) => {
      const { rows } = await client.query<{ id: string; event_id: string; handler: string }>(STUCK_DELIVERIES);
      if (rows.length === 0) return 0;
      const byHandler = new Map<string, string[]>();
      for (const row of rows) byHandler.set(row.handler, [...(byHandler.get(row.handler) ?? []), row.event_id]);
      for (const [name, eventIds] of byHandler) {
        const handler = this.registry.get(name);
        if (!handler) continue; // a handler removed from the code: its deliveries wait for an operator
        await this.queues.runHandler(handler, eventIds, `recover${Date.now()}`);
      }
      await client.query(`UPDATE webhook_deliveries SET updated_at = now() WHERE id = ANY($1::uuid[])`, [
        rows.map((row) => row.id),
      ]);
      return rows.length;
    });
    if (events || deliveries) this.logger.log(`relay queued ${events} event(s) and ${deliveries} stuck delivery(ies)`);
    return { events, deliveries };
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
