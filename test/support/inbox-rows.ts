import type pg from 'pg';

/**
 * The queries several suites (and the chaos run) make of the inbox tables, written once. The event
 * status itself is eventStatus / untilEventStatus in test-app.ts.
 */
type Db = Pick<pg.Pool, 'query'>;

/** Row counts of every table a webhook can create rows in. */
export async function inboxRowCounts(db: Db): Promise<{ events: number; deliveries: number; attempts: number }> {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM webhook_events)::int            AS events,
           (SELECT count(*) FROM webhook_deliveries)::int        AS deliveries,
           (SELECT count(*) FROM webhook_delivery_attempts)::int AS attempts`);
  return rows[0];
}

export interface EventFilter {
  /** Inbox ids. */
  ids?: string[];
  /** The provider's ids. */
  externalIds?: string[];
  /** One status, or any of several. */
  status?: string | string[];
  type?: string;
  receivedBefore?: Date;
}

/** How many stored events meet every condition given (all of them when none is). */
export async function countEvents(db: Db, filter: EventFilter = {}): Promise<number> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (param: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (filter.ids) add((p) => `id = ANY(${p}::uuid[])`, filter.ids);
  if (filter.externalIds) add((p) => `external_id = ANY(${p}::text[])`, filter.externalIds);
  if (filter.status !== undefined) add((p) => `status = ANY(${p}::text[])`, [filter.status].flat());
  if (filter.type !== undefined) add((p) => `type = ${p}`, filter.type);
  if (filter.receivedBefore) add((p) => `received_at < ${p}`, filter.receivedBefore);
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM webhook_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params,
  );
  return rows[0].n;
}

/** The inbox id of each stored event among `externalIds` (the provider's ids), by external id. */
export async function storedIds(db: Db, externalIds: string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; external_id: string }>(
    'SELECT id, external_id FROM webhook_events WHERE external_id = ANY($1::text[])',
    [externalIds],
  );
  return new Map(rows.map((row) => [row.external_id, row.id]));
}

/** The envelope stored for an event (undefined when there is no such event). */
export async function storedPayload(db: Db, id: string): Promise<unknown> {
  return (await db.query('SELECT payload FROM webhook_events WHERE id = $1', [id])).rows[0]?.payload;
}

type DeliveryColumn = 'handler' | 'status' | 'attempts' | 'max_attempts' | 'last_error';

/** The deliveries of an event (one per handler, ordered by handler), with the columns asked for. */
export async function deliveriesOf(
  db: Db,
  eventId: string,
  columns: readonly DeliveryColumn[] = ['handler', 'status', 'attempts'],
): Promise<any[]> {
  const { rows } = await db.query(
    `SELECT ${columns.join(', ')} FROM webhook_deliveries WHERE event_id = $1 ORDER BY handler`,
    [eventId],
  );
  return rows;
}

/** Whether the delivery is still stored. */
export async function deliveryExists(db: Db, deliveryId: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM webhook_deliveries WHERE id = $1', [deliveryId])).rowCount ?? 0) > 0;
}

type AttemptColumn = 'attempt' | 'outcome' | 'error_message';

/** The attempts at an event's deliveries (only `handler`'s, when given), in order. */
export async function attemptsOf(
  db: Db,
  eventId: string,
  options: { handler?: string; columns?: readonly AttemptColumn[] } = {},
): Promise<any[]> {
  const columns = (options.columns ?? ['attempt', 'outcome']).map((column) => `a.${column}`).join(', ');
  const { rows } = await db.query(
    `SELECT ${columns} FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
     WHERE d.event_id = $1 ${options.handler ? 'AND d.handler = $2' : ''} ORDER BY a.attempt`,
    options.handler ? [eventId, options.handler] : [eventId],
  );
  return rows;
}

/** The service's connections (pids) whose INSERT INTO webhook_events waits for a lock. */
export async function blockedEventWrites(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name LIKE 'webhook-inbox%'
       AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO webhook_events%'`,
  );
  return rows.map((row) => row.pid);
}
