import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg-pool.js';
import { EventTypePolicy } from './event-type-policy.js';
import { InboxQueues } from './inbox-queues.js';
import { RegisteredHandler, WebhookHandlerRegistry } from './webhook-handler.registry.js';

// Plans the work for a batch of events in one round trip: events with no handler (or a type the
// team does not process) become `ignored`, the others get one delivery per handler. ON CONFLICT
// makes a second dispatch of the same event (relay, replayed job) create nothing.
const PLAN_DELIVERIES = `
  WITH ignored AS (
    UPDATE webhook_events SET status = 'ignored', processed_at = now()
    WHERE id = ANY($1::uuid[]) AND status IN ('received', 'queued')
  ),
  queued AS (
    UPDATE webhook_events SET status = 'queued'
    WHERE id = ANY($2::uuid[]) AND status = 'received'
  )
  INSERT INTO webhook_deliveries (event_id, handler, max_attempts)
  SELECT d.event_id, d.handler, d.max_attempts
  FROM unnest($3::uuid[], $4::text[], $5::int[]) AS d(event_id, handler, max_attempts)
  JOIN webhook_events e ON e.id = d.event_id AND e.status IN ('received', 'queued')
  ON CONFLICT (event_id, handler) DO NOTHING
  RETURNING event_id, handler`;

/** First step for every committed event: decide which handlers run it, then queue their jobs. */
@Injectable()
export class WebhookDispatchProcessor {
  private readonly logger = new Logger(WebhookDispatchProcessor.name);
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly registry: WebhookHandlerRegistry,
    private readonly policy: EventTypePolicy,
    private readonly queues: InboxQueues,
  ) {
    this.pool = pgPool(dataSource);
  }

  async process(eventIds: string[]): Promise<void> {
    const { rows: events } = await this.pool.query<{ id: string; type: string }>(
      `SELECT id, type FROM webhook_events WHERE id = ANY($1::uuid[]) AND status IN ('received', 'queued')`,
      [eventIds],
    );
    const ignored: string[] = [];
    const handled: string[] = [];
    const plan = { eventIds: [] as string[], handlers: [] as string[], maxAttempts: [] as number[] };
    for (const event of events) {
      const handlers = (await this.policy.processes(event.type)) ? this.registry.handlersFor(event.type) : [];
      if (handlers.length === 0) {
        ignored.push(event.id);
        continue;
      }
      handled.push(event.id);
      for (const handler of handlers) {
        plan.eventIds.push(event.id);
        plan.handlers.push(handler.name);
        plan.maxAttempts.push(handler.attempts);
      }
    }
    if (events.length === 0) return;

    const { rows: created } = await this.pool.query<{ event_id: string; handler: string }>(PLAN_DELIVERIES, [
      ignored,
      handled,
      plan.eventIds,
      plan.handlers,
      plan.maxAttempts,
    ]);

    const byHandler = new Map<RegisteredHandler, string[]>();
    for (const row of created) {
      const handler = this.registry.get(row.handler)!;
      byHandler.set(handler, [...(byHandler.get(handler) ?? []), row.event_id]);
    }
    await Promise.all(
      [...byHandler].map(([handler, ids]) => this.queues.runHandler(handler, ids, 'run')),
    );
    if (ignored.length) this.logger.debug(`${ignored.length} event(s) ignored: no handler or type not processed`);
  }
}
