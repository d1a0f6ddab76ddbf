import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { InboxQueues } from '../../src/inbox/inbox-queues.js';
import { InboxWorkers } from '../../src/processing/delivery/inbox-workers.js';
import { countEvents, deliveriesOf } from '../support/inbox-rows.js';
import { PrivatePostgres } from '../support/infra/private-postgres.js';
import { PrivateRedis } from '../support/infra/private-redis.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, untilEventStatus, waitFor } from '../support/test-app.js';
import { gate, ReliabilityHandlersModule, runsOf } from './support/reliability-handlers.js';

/**
 * Postgres down: ingestion refuses with 503 + Retry-After (never a 2xx for an event it could not
 * commit), the workers pause instead of burning job attempts, and everything resumes by itself.
 * The suite crashes and restarts a Postgres cluster of its own (initdb into a temp folder), and
 * hangs a redis-server of its own.
 */
describe('Postgres outage (private cluster)', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let t: TestApp;
  let db: pg.Pool;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start()]);
    t = await startTestApp({
      extraImports: [ReliabilityHandlersModule],
      env: { DATABASE_URL: postgres.url('inbox'), REDIS_URL: redis.url },
    });
    db = new pg.Pool({ connectionString: postgres.url('inbox'), max: 2 });
    db.on('error', () => undefined); // idle connections die with the server on purpose
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await db?.end();
    await postgres?.destroy();
    await redis?.destroy();
  });

  // A test that failed mid-outage must not leave the next one without a database.
  afterEach(async () => {
    redis.unhang();
    if (!postgres.running) await restart();
  });

  const workers = () => t.app.get(InboxWorkers);
  const queues = () => t.app.get(InboxQueues);
  /**
   * Connections blocked in Redis waiting for a job to arrive (BZPOPMIN): workers whose fetch loop
   * still runs. The suite's Redis serves only this app.
   */
  const fetchingWorkers = async () => {
    const client = new Redis(redis.url);
    try {
      const list = (await client.client('LIST')) as string;
      return list.split('\n').filter((line) => /\bflags=\S*b/.test(line)).length;
    } finally {
      client.disconnect();
    }
  };
  const restart = async () => {
    await postgres.start();
    await waitFor(async () => !workers().paused, 10_000, 'the workers to resume');
  };

  it('answers 503 with Retry-After while Postgres is down, and 200 once it is back, with the event stored once', async () => {
    const id = `pg_down_${randomUUID()}`;
    await postgres.kill9();

    const started = performance.now();
    const refused = await t.post({ id, type: 'test.count', data: {} });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(performance.now() - started).toBeLessThan(5000);

    await restart();
    // The provider retries: the same event is accepted once Postgres answers again.
    const accepted = await waitFor(
      async () => {
        const answer = await t.post({ id, type: 'test.count', data: {} });
        return answer.status === 200 ? answer : undefined;
      },
      15_000,
      'a 200',
    );
    expect(accepted!.body).toMatchObject({ received: true, duplicate: false });
    expect(await countEvents(db, { externalIds: [id] })).toBe(1);
  }, 60_000);

  it('pauses the workers while Postgres is down: a job waits without using an attempt, then runs', async () => {
    const { rows } = await db.query(
      `INSERT INTO webhook_events (external_id, type, payload) VALUES ($1, 'test.count', '{"type":"test.count","data":{}}') RETURNING id`,
      [`pg_pause_${randomUUID()}`],
    );
    const eventId: string = rows[0].id;
    await postgres.kill9();
    await waitFor(async () => workers().paused, 5_000, 'the workers to pause');

    await queues().dispatch([eventId], 'while-down');
    // The job woke any worker still blocked waiting for one, and every fetch loop has since stopped:
    // a worker that was going to take the job has taken it. It is now back in the queue or was never
    // taken.
    await waitFor(async () => (await fetchingWorkers()) === 0, 15_000, 'every worker to stop fetching');
    const job = () => queues().dispatchQueue.getJob(`while-down-${eventId}-1`);
    await waitFor(
      async () => ['waiting', 'delayed'].includes(await (await job())!.getState()),
      10_000,
      'the job to wait in the queue',
    );
    // Waiting (or, if a fetch was already in flight when the workers paused, put back as delayed),
    // never failed: no attempt used.
    const waiting = (await job())!;
    expect(['waiting', 'delayed']).toContain(await waiting.getState());
    expect(waiting.attemptsMade).toBe(0);
    expect(waiting.stacktrace).toEqual([]);

    await restart();
    await untilEventStatus(db, eventId, 'processed', 15_000);
    // The event is older than the relay's grace by now, so the relay may have queued it too and won
    // the race: wait for this job's own run.
    const done = (await waitFor(
      async () => {
        const current = (await job())!;
        return (await current.getState()) === 'completed' ? current : undefined;
      },
      15_000,
      'the job to run',
    ))!;
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(1); // its one and only run
    expect(done.stacktrace).toEqual([]);
  }, 60_000);

  it('puts back a job whose bookkeeping met the outage, without using an attempt, and finishes it after', async () => {
    const externalId = `pg_mid_${randomUUID()}`;
    const { body } = await t.post({ id: externalId, type: 'test.gate', data: {} });
    await gate(externalId).entered; // the handler is running
    await postgres.kill9();
    gate(externalId).release(); // it finishes, but its outcome cannot be recorded

    const queue = queues().queueFor('GateHandler');
    const findJob = async () =>
      (await queue.getJobs(['active', 'delayed', 'waiting', 'completed', 'failed'])).find((job: Job) =>
        job.data.eventIds.includes(body.id),
      );
    await waitFor(
      async () => ['delayed', 'waiting'].includes((await (await findJob())?.getState()) ?? ''),
      10_000,
      'the job to be put back',
    );
    const putBack = (await findJob())!;
    expect(putBack.attemptsMade).toBe(0);
    expect(putBack.stacktrace).toEqual([]);

    await restart();
    await untilEventStatus(db, body.id, 'processed', 20_000);
    const done = (await findJob())!;
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(1);
    // At least once: the interrupted run is run again (its claim is taken back under the job id).
    expect(runsOf('GateHandler', externalId)).toBe(2);
    expect(await deliveriesOf(db, body.id, ['status', 'attempts'])).toEqual([{ status: 'succeeded', attempts: 2 }]);
  }, 60_000);

  it('survives Postgres going away while the relay holds a transaction open on a hung Redis', async () => {
    const { rows } = await db.query(
      `INSERT INTO webhook_events (external_id, type, payload, received_at)
       VALUES ($1, 'test.count', '{"type":"test.count","data":{}}', now() - interval '1 minute') RETURNING id`,
      [`pg_relay_${randomUUID()}`],
    );
    const eventId: string = rows[0].id;
    redis.hang();
    // The relay takes the event FOR UPDATE and waits on Redis (up to 5 s) with the client checked out.
    await waitFor(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle in transaction'`)).rows[0]
          .n > 0,
      5_000,
      'the relay to wait on Redis inside its transaction',
    );
    await postgres.kill9(); // its connection gets a FATAL error while nobody is querying on it
    redis.unhang();
    // The service has seen Postgres go (its workers paused) before Postgres comes back.
    await waitFor(async () => workers().paused, 10_000, 'the workers to pause');
    await restart();
    // Still alive, and the event still gets processed.
    await untilEventStatus(db, eventId, 'processed', 20_000);
  }, 60_000);
});
