import { randomUUID } from 'node:crypto';
import { countEvents } from '../support/inbox-rows.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import { PrivateRedis } from '../support/infra/private-redis.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, waitFor } from '../support/test-app.js';
import { ReliabilityHandlersModule, runsOf } from './support/reliability-handlers.js';

/**
 * Redis down or hung: ingestion keeps acknowledging (the event is committed) without waiting on
 * Redis, and the relay queues everything once Redis is back. The suite's Redis is its own
 * redis-server on a free port; the machine's shared Redis is never touched.
 */
describe('Redis outage (private redis-server)', () => {
  let redis: PrivateRedis;
  let database: FreshDatabase;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    database = await freshDatabase('redis_outage');
    t = await startTestApp({
      extraImports: [ReliabilityHandlersModule],
      env: { REDIS_URL: redis.url, DATABASE_URL: database.url },
    });
  });
  afterAll(async () => {
    redis?.unhang();
    await t?.close();
    await redis?.destroy();
    await database?.drop();
  });

  /** Posts each envelope and returns the acknowledged ids with the slowest answer's time. */
  async function postAll(count: number, prefix: string) {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}_${i}_${randomUUID().slice(0, 8)}`);
    let slowestMs = 0;
    const answers = await Promise.all(
      ids.map(async (id) => {
        const started = performance.now();
        const answer = await t.post({ id, type: 'test.count', data: {} });
        slowestMs = Math.max(slowestMs, performance.now() - started);
        return answer;
      }),
    );
    return { ids, answers, slowestMs };
  }

  const count = async (sql: string) => Number((await database.db.query(sql)).rows[0].n);

  it('keeps acknowledging without waiting while Redis is down; the relay queues the backlog within 10 s of its return', async () => {
    await redis.kill9();

    const { ids, answers, slowestMs } = await postAll(40, 'down');
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    // Nothing waits on the dead connection: no offline queue, the enqueue happens after the answer.
    expect(slowestMs).toBeLessThan(2000);
    expect(await countEvents(database.db, { externalIds: ids, status: 'received' })).toBe(40);

    // The backlog of a long outage: many more events committed meanwhile, none of them queued.
    const backlog = 6000;
    await database.db.query(
      `INSERT INTO webhook_events (external_id, type, payload, received_at)
       SELECT 'backlog_' || g, 'test.count', '{"type":"test.count","data":{}}', now() - interval '1 minute'
       FROM generate_series(1, $1) AS g`,
      [backlog],
    );

    await redis.start();
    const back = Date.now();
    await waitFor(
      async () => (await countEvents(database.db, { status: 'received' })) === 0,
      10_000,
      'every event to leave `received`',
    );
    const queuedWithinMs = Date.now() - back;
    expect(queuedWithinMs).toBeLessThan(10_000);

    await waitFor(
      async () => (await countEvents(database.db, { status: 'processed' })) === backlog + 40,
      60_000,
      'every event to be processed',
    );
    // Once each: one succeeded delivery per event, one handler run per posted event.
    expect(
      await count(`SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'succeeded' AND attempts = 1`),
    ).toBe(backlog + 40);
    expect(ids.map((id) => runsOf('CountingHandler', id))).toEqual(ids.map(() => 1));
  }, 90_000);

  it('keeps acknowledging without waiting while Redis hangs, and processes everything once it answers', async () => {
    redis.hang();
    const { ids, answers, slowestMs } = await postAll(20, 'hung');
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect(slowestMs).toBeLessThan(2000);
    redis.unhang();

    await waitFor(
      async () => (await countEvents(database.db, { externalIds: ids, status: 'processed' })) === 20,
      30_000,
      'the events posted while Redis hung to be processed',
    );
    expect(ids.map((id) => runsOf('CountingHandler', id))).toEqual(ids.map(() => 1));
  }, 60_000);
});
