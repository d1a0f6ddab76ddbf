import { randomUUID } from 'node:crypto';
import { OutboxRelay } from '../../src/processing/relay/outbox-relay.js';
import { deliveriesOf } from '../support/inbox-rows.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, untilEventStatus } from '../support/test-app.js';
import { ReliabilityHandlersModule, runsOf } from './support/reliability-handlers.js';

/**
 * What the relay heals when the queue lost something or a process died between two steps. Each
 * case is written into the database the way a crash or a Redis data loss leaves it; the relay
 * must bring every one to its final state.
 */
describe('relay healing', () => {
  let database: FreshDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await freshDatabase('relay_healing');
    t = await startTestApp({ extraImports: [ReliabilityHandlersModule], env: { DATABASE_URL: database.url } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const q = async (sql: string, params: unknown[] = []) => (await database.db.query(sql, params)).rows;
  /** An event as a crash left it: `status`, received a minute ago, optionally with one delivery. */
  async function leftBehind(
    status: string,
    delivery?: Record<string, unknown>,
  ): Promise<{ id: string; externalId: string }> {
    const externalId = `heal_${randomUUID()}`;
    const [{ id }] = await q(
      `INSERT INTO webhook_events (external_id, type, payload, status, received_at)
       VALUES ($1, 'test.count', '{"type":"test.count","data":{}}', $2, now() - interval '1 minute') RETURNING id`,
      [externalId, status],
    );
    if (delivery) {
      const columns = Object.keys(delivery);
      await q(
        `INSERT INTO webhook_deliveries (event_id, handler, max_attempts, updated_at, ${columns.join(', ')})
         VALUES ($1, 'CountingHandler', 3, now() - interval '2 minutes', ${columns.map((_, i) => `$${i + 2}`).join(', ')})`,
        [id, ...Object.values(delivery)],
      );
    }
    return { id, externalId };
  }
  const until = (id: string, status: string) => untilEventStatus(database.db, id, status);

  it('re-dispatches a queued event whose dispatch job was lost', async () => {
    const lost = await leftBehind('queued');
    await until(lost.id, 'processed');
    expect(runsOf('CountingHandler', lost.externalId)).toBe(1);
  }, 30_000);

  it('re-queues a delivery whose job was lost', async () => {
    const lost = await leftBehind('queued', { status: 'pending' });
    await until(lost.id, 'processed');
    expect(await deliveriesOf(database.db, lost.id, ['status', 'attempts'])).toEqual([
      { status: 'succeeded', attempts: 1 },
    ]);
  }, 30_000);

  it('takes back a delivery whose worker died mid-run once its lease has passed', async () => {
    const crashed = await leftBehind('queued', {
      status: 'running',
      attempts: 1,
      claimed_by: 'a-job-that-is-gone',
      lease_until: new Date(Date.now() - 1000),
    });
    await until(crashed.id, 'processed');
    expect(await deliveriesOf(database.db, crashed.id, ['status', 'attempts'])).toEqual([
      { status: 'succeeded', attempts: 2 },
    ]);
  }, 30_000);

  it('marks an event finished when its deliveries finished but the worker died before saying so', async () => {
    const done = await leftBehind('queued', { status: 'succeeded', attempts: 1 });
    const dead = await leftBehind('queued', { status: 'dead', attempts: 3 });
    await until(done.id, 'processed');
    await until(dead.id, 'failed');
    expect(runsOf('CountingHandler', done.externalId)).toBe(0); // nothing is run again
  }, 30_000);

  it('gives up on a delivery whose last allowed attempt never finished, instead of crashing workers forever', async () => {
    const poison = await leftBehind('queued', {
      status: 'running',
      attempts: 3,
      claimed_by: 'a-job-that-is-gone',
      lease_until: new Date(Date.now() - 1000),
    });
    await t.app.get(OutboxRelay).tick();
    await until(poison.id, 'failed');
    expect(await deliveriesOf(database.db, poison.id, ['status', 'last_error'])).toEqual([
      { status: 'dead', last_error: 'the worker stopped during the last attempt (crashed or was killed)' },
    ]);
    expect(runsOf('CountingHandler', poison.externalId)).toBe(0);
  }, 30_000);
});
