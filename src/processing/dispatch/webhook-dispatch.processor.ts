import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import { pgPool } from '../../database/pg-pool.js';
import { EventTypePolicy } from '../event-types/event-type-policy.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { RegisteredHandler, WebhookHandlerRegistry } from '../discovery/webhook-handler.registry.js';

// Plans the work for a batch of events in one round trip: events with no handler (or a type the
// team does not process) become `ignored`, the others get one delivery per handler. ON CONFLICT
// makes a second dispatch of the same event (relay, replayed job) create nothing.
// Every lookup is driven by the id list, one primary-key probe per id. Status tests are CASEs on
// purpose: as plain `status IN (...)` the planner may read the status index instead (whenever the
// statistics say few events wait), which reads the whole backlog of waiting events on every call.
// Named statements: each connection parses and plans them once.
const PLAN_DELIVERIES: Pick<QueryConfig, 'name' | 'text'> = {
  name: 'webhook-inbox:plan-deliveries',
  text: `
  WITH ignored AS (
    UPDATE webhook_events e SET status = 'ignored', processed_at = now()
    FROM unnest($1::uuid[]) AS k(id)
    WHERE e.id = k.id AND CASE WHEN e.status IN ('received', 'queued') THEN true END
  ),
  queued AS (
    UPDATE webhook_events e SET status = 'queued'
    FROM unnest($2::uuid[]) AS k(id)
    WHERE e.id = k.id AND CASE WHEN e.status = 'received' THEN true END
  )
  INSERT INTO webhook_deliveries (event_id, handler, max_attempts)
  SELECT d.event_id, d.handler, d.max_attempts
  FROM unnest($3::uuid[], $4::text[], $5::int[]) AS d(event_id, handler, max_attempts)
  JOIN webhook_events e ON e.id = d.event_id AND CASE WHEN e.status IN ('received', 'queued') THEN true END
  ON CONFLICT (event_id, handler) DO NOTHING
  RETURNING event_id, handler`,
};

const WAITING_EVENTS: Pick<QueryConfig, 'name' | 'text'> = {
  name: 'webhook-inbox:waiting-events',
  text: `
  SELECT e.id, e.type FROM unnest($1::uuid[]) AS k(id)
  JOIN webhook_events e ON e.id = k.id
  WHERE CASE WHEN e.status IN ('received', 'queued') THEN true END`,
};

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
    const { rows: events } = await this.pool.query<{ id: string; type: string }>({ ...WAITING_EVENTS, values: [eventIds] });
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

    const { rows: created } = await this.pool.query<{ event_id: string; handler: string }>({
      ...PLAN_DELIVERIES,
      values: [ignored, handled, plan.eventIds, plan.handlers, plan.maxAttempts],
    });

    const byHandler = new Map<RegisteredHandler, string[]>();
    for (const row of created) {
      const handler = this.registry.get(row.handler)!;
      const ids = byHandler.get(handler);
      if (ids) ids.push(row.event_id);
      else byHandler.set(handler, [row.event_id]);
    }
    await Promise.all(
      [...byHandler].map(([handler, ids]) => this.queues.runHandler(handler, ids, 'run')),
    );
    if (ignored.length) this.logger.debug(`${ignored.length} event(s) ignored: no handler or type not processed`);
  }
}
