import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { runMigrationsLocked } from '../../src/database/database-setup.js';
import type { DeliveryStatus, EventStatus } from '../../src/inbox/lifecycle.js';
import { DeliveryStore } from '../../src/inbox/store/delivery.store.js';
import { EventStore } from '../../src/inbox/store/event.store.js';
import { eventStatus } from '../support/test-app.js';

/**
 * The finish rule, applied by the one statement that applies it (EventStore.finish), against the
 * run's real Postgres: an event is finished when it has deliveries and all of them ended,
 * `failed` if any is dead; only `received` and `queued` events are finished.
 */
describe('the finish rule (EventStore, real Postgres)', () => {
  let db: pg.Pool;
  let events: EventStore;

  /** One event in `status` with one delivery per given status; returns its id. */
  const eventWith = async (status: EventStatus, deliveries: DeliveryStatus[]): Promise<string> => {
    const externalId = `finish-${randomUUID()}`;
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO webhook_events (source, external_id, type, payload, status)
       VALUES ('default', $1, 'test.finish', '{"type":"test.finish","data":{}}', $2) RETURNING id`,
      [externalId, status],
    );
    const id = rows[0].id;
    for (const [index, deliveryStatus] of deliveries.entries()) {
      await db.query(
        `INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts) VALUES ($1, $2, $3, 1, 3)`,
        [id, `handler${index}`, deliveryStatus],
      );
    }
    return id;
  };

  beforeAll(async () => {
    const dataSource = await new DataSource(dataSourceOptions(process.env.TEST_DATABASE_URL!)).initialize();
    await runMigrationsLocked(dataSource);
    await dataSource.destroy();
    db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 2 });
    events = new EventStore(db, db);
  });
  afterAll(async () => db?.end());

  it.each<[EventStatus, DeliveryStatus[], EventStatus]>([
    ['queued', ['succeeded', 'succeeded'], 'processed'],
    ['queued', ['succeeded', 'dead'], 'failed'],
    ['received', ['succeeded'], 'processed'],
    ['received', ['dead'], 'failed'],
  ])('a %s event whose deliveries are %j becomes %s', async (before, deliveries, after) => {
    const id = await eventWith(before, deliveries);
    expect(await events.finish([id])).toEqual([{ id, status: after }]);
    expect(await eventStatus(db, id)).toBe(after);
  });

  it.each<[EventStatus, DeliveryStatus[]]>([
    ['queued', ['succeeded', 'retrying']],
    ['queued', ['dead', 'running']],
    ['queued', ['pending']],
    ['queued', []],
    ['processed', ['dead']],
    ['failed', ['succeeded']],
    ['ignored', []],
  ])('a %s event whose deliveries are %j is left as it is', async (before, deliveries) => {
    const id = await eventWith(before, deliveries);
    expect(await events.finish([id])).toEqual([]);
    expect(await eventStatus(db, id)).toBe(before);
  });

  it('is applied the same way when the relay abandons the last running delivery', async () => {
    const id = await eventWith('queued', ['succeeded']);
    await db.query(
      `INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts, lease_until, updated_at)
       VALUES ($1, 'crashing', 'running', 3, 3, now() - interval '1 minute', now() - interval '2 minutes')`,
      [id],
    );
    const requeued: string[] = [];
    const recovered = await new DeliveryStore(db, events).recoverStuck(60_000, 500, async (stuck) => {
      requeued.push(...stuck.map((row) => row.event_id));
      return { waiting: stuck.map((row) => row.id), requeued: [] };
    });
    expect(recovered.abandoned).toBeGreaterThanOrEqual(1);
    expect(requeued).not.toContain(id);
    expect(await eventStatus(db, id)).toBe('failed');
  });
});
