import { jest } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { runMigrationsLocked } from '../../src/database/database-setup.js';
import { EventStore } from '../../src/inbox/store/event.store.js';
import { resolveInboxOptions } from '../../src/inbox/webhook-inbox.options.js';
import { EventToWrite, EventWriter, UnstorableEventError, WriteResult } from '../../src/ingress/event-writer.js';
import { storedIds as storedIdsIn } from '../support/inbox-rows.js';
import { uniqueId, waitFor } from '../support/test-app.js';

/**
 * The group-commit writer against the run's real Postgres database. Statements are counted by a
 * pass-through wrapper around a real pg Pool (every query still reaches Postgres).
 */
class CountingPool {
  /** Rows sent by each write statement, in order. */
  readonly writeBatches: number[] = [];
  readonly statements: string[] = [];

  constructor(readonly pool: pg.Pool) {}

  query(config: { name?: string; text: string; values?: unknown[][] }) {
    this.statements.push(config.name ?? config.text);
    if (config.name === 'webhook-inbox:write-events') this.writeBatches.push(config.values![0].length);
    return this.pool.query(config);
  }

  asPool(): pg.Pool {
    return this as unknown as pg.Pool;
  }
}

/** A writer on `pool` with the given batch size and statements in flight. */
function writerOn(pool: pg.Pool, maxBatchSize: number, maxConcurrentBatches: number): EventWriter {
  const options = resolveInboxOptions({
    redisUrl: 'redis://unused',
    ingestion: { maxBatchSize, maxConcurrentBatches },
  });
  return new EventWriter(new EventStore(pool, pool), options);
}

type Settled = { status: 'fulfilled'; value: WriteResult } | { status: 'rejected'; reason: unknown };

describe('EventWriter: group commit (real Postgres)', () => {
  const pools: pg.Pool[] = [];
  let db: pg.Pool;

  const newPool = (applicationName: string) => {
    const pool = new pg.Pool({
      connectionString: process.env.TEST_DATABASE_URL,
      max: 4,
      application_name: applicationName,
    });
    // A backend terminated on purpose below must not crash the test process from an idle client.
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };

  const event = (externalId: string, extra: Partial<EventToWrite> = {}): EventToWrite => ({
    source: 'default',
    externalId,
    type: 'test.writer',
    payloadJson: JSON.stringify({ id: externalId, type: 'test.writer', data: { amount: 1200, note: 'x'.repeat(200) } }),
    headers: { 'webhook-id': `msg_${externalId}` },
    ...extra,
  });

  const storedIds = (externalIds: string[]) => storedIdsIn(db, externalIds);

  beforeAll(async () => {
    const dataSource = await new DataSource(dataSourceOptions(process.env.TEST_DATABASE_URL!)).initialize();
    await runMigrationsLocked(dataSource);
    await dataSource.destroy();
    db = newPool('event-writer-spec-assertions');
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('writes concurrent requests with one statement per batch, the next batch forming while one is in flight', async () => {
    const counting = new CountingPool(newPool('event-writer-spec'));
    const writer = writerOn(counting.asPool(), 500, 2);
    const ids = Array.from({ length: 200 }, () => uniqueId('batch'));

    const results = await Promise.all(ids.map((id) => writer.write(event(id))));

    // The first two requests find a free write slot and go alone, at once (nothing waits for a
    // batch to fill); the other 198 arrive while both are in flight and share the next statement.
    expect(counting.writeBatches).toEqual([1, 1, 198]);
    expect(writer.stats).toMatchObject({ batches: 3, events: 200, statements: 3, largestBatch: 198 });
    expect(results.every((result) => result.duplicate === false)).toBe(true);
    expect(new Set(results.map((result) => result.id)).size).toBe(200);
    const stored = await storedIds(ids);
    expect(ids.map((id, index) => stored.get(id) === results[index].id)).toEqual(ids.map(() => true));
  });

  it('caps a batch at maxBatchSize and writes the rest in the following statements', async () => {
    const counting = new CountingPool(newPool('event-writer-spec'));
    const writer = writerOn(counting.asPool(), 50, 1);
    const ids = Array.from({ length: 121 }, () => uniqueId('capped'));

    await Promise.all(ids.map((id) => writer.write(event(id))));

    expect(counting.writeBatches).toEqual([1, 50, 50, 20]);
    expect((await storedIds(ids)).size).toBe(121);
  });

  it('folds copies inside one batch: one row, one first answer, the others duplicates of it', async () => {
    const counting = new CountingPool(newPool('event-writer-spec'));
    const writer = writerOn(counting.asPool(), 500, 1);
    const [blocker, x, y] = [uniqueId('blocker'), uniqueId('x'), uniqueId('y')];

    // The blocker takes the only write slot, so every copy below lands in the same next batch.
    const first = writer.write(event(blocker));
    const copies = [x, x, y, x, x, y, x, y].map((id) => writer.write(event(id)));
    const answers = await Promise.all(copies);
    await first;

    expect(counting.writeBatches).toEqual([1, 2]); // 8 requests, 2 distinct events, 1 statement
    const answersFor = (id: string) => answers.filter((_, index) => [x, x, y, x, x, y, x, y][index] === id);
    for (const id of [x, y]) {
      const mine = answersFor(id);
      expect(mine.filter((answer) => !answer.duplicate)).toHaveLength(1);
      expect(new Set(mine.map((answer) => answer.id)).size).toBe(1);
    }
    expect(answersFor(x)[0]).toEqual({ id: answersFor(x)[0].id, duplicate: false }); // the first copy leads
    const stored = await storedIds([x, y]);
    expect(stored.get(x)).toBe(answersFor(x)[0].id);
    expect(stored.get(y)).toBe(answersFor(y)[0].id);
  });

  it('answers a copy of an already stored event as a duplicate with the original id, in the same statement', async () => {
    const counting = new CountingPool(newPool('event-writer-spec'));
    const writer = writerOn(counting.asPool(), 500, 1);
    const [stored, fresh] = [uniqueId('stored'), uniqueId('fresh')];
    const original = await writer.write(event(stored));
    await new Promise((resolve) => setImmediate(resolve)); // its write slot frees just after it answered
    const statementsBefore = writer.stats.statements;

    // A later batch mixing a copy of the stored event with a new one.
    const blocker = writer.write(event(uniqueId('blocker')));
    const [copy, created] = await Promise.all([writer.write(event(stored)), writer.write(event(fresh))]);
    await blocker;

    expect(original.duplicate).toBe(false);
    expect(copy).toEqual({ id: original.id, duplicate: true });
    expect(created.duplicate).toBe(false);
    expect(counting.writeBatches.slice(-1)).toEqual([2]);
    // Blocker batch + mixed batch: one statement each, no separate look-up for the duplicate.
    expect(writer.stats.statements - statementsBefore).toBe(2);
    expect((await storedIds([stored, fresh])).get(stored)).toBe(original.id);
  });

  it('keeps one row per event when two writers (two replicas) race on the same ids', async () => {
    const first = writerOn(newPool('event-writer-spec-replica-a'), 500, 2);
    const second = writerOn(newPool('event-writer-spec-replica-b'), 500, 2);
    const ids = Array.from({ length: 300 }, () => uniqueId('race'));

    // Interleaved, and in opposite orders, so the two writers' batches overlap on many keys.
    const fromFirst = ids.map((id) => first.write(event(id)));
    const fromSecond = [...ids].reverse().map((id) => second.write(event(id)));
    const [a, b] = await Promise.all([Promise.all(fromFirst), Promise.all(fromSecond)]);
    const bById = new Map([...ids].reverse().map((id, index) => [id, b[index]]));

    const stored = await storedIds(ids);
    expect(stored.size).toBe(300);
    const problems = ids.filter((id, index) => {
      const [one, other] = [a[index], bById.get(id)!];
      const firstAnswers = [one, other].filter((answer) => !answer.duplicate).length;
      return firstAnswers !== 1 || one.id !== other.id || one.id !== stored.get(id);
    });
    expect(problems).toEqual([]);
  });

  it('refuses only the event whose content Postgres rejects, and still commits the rest of its batch', async () => {
    const counting = new CountingPool(newPool('event-writer-spec'));
    const writer = writerOn(counting.asPool(), 500, 1);
    const ids = Array.from({ length: 5 }, () => uniqueId('mixed'));
    const bad = uniqueId('bad');

    const blocker = writer.write(event(uniqueId('blocker')));
    // Valid JSON that jsonb refuses: a \u0000 escape (the controller screens these; the writer must cope anyway).
    const outcomes = await Promise.allSettled([
      ...ids.slice(0, 2).map((id) => writer.write(event(id))),
      writer.write(event(bad, { payloadJson: '{"type":"test.writer","data":{"text":"nul \\u0000 here"}}' })),
      ...ids.slice(2).map((id) => writer.write(event(id))),
    ]);
    await blocker;

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(UnstorableEventError);
    expect(counting.writeBatches.slice(1, 2)).toEqual([6]); // tried together first
    const stored = await storedIds([...ids, bad]);
    expect(ids.every((id) => stored.has(id))).toBe(true);
    expect(stored.has(bad)).toBe(false);
  });

  describe('when a batch fails (its connection is killed mid-statement)', () => {
    let locker: pg.PoolClient;

    /** Backends of `applicationName` whose write statement is waiting for the table lock. */
    const waitingWrites = async (applicationName: string) =>
      (
        await db.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO webhook_events%'`,
          [applicationName],
        )
      ).rows.map((row) => row.pid);

    const terminateWaitingWrite = async (applicationName: string) => {
      const pid = await waitFor(
        async () => {
          const pids = await waitingWrites(applicationName);
          return pids.length === 1 ? pids[0] : undefined;
        },
        10_000,
        'the batch to wait on the table lock',
      );
      await db.query('SELECT pg_terminate_backend($1)', [pid]);
    };

    beforeEach(async () => {
      locker = await db.connect();
      await locker.query('BEGIN');
      // SHARE mode blocks INSERT but lets everything else read the table.
      await locker.query('LOCK TABLE webhook_events IN SHARE MODE');
    });

    afterEach(async () => {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    });

    it('rejects every request in that batch, resolves none of them, and commits the next batch', async () => {
      const applicationName = `event-writer-spec-${uniqueId('fail')}`.slice(0, 60);
      const counting = new CountingPool(newPool(applicationName));
      const writer = writerOn(counting.asPool(), 500, 1);
      const track = (promise: Promise<WriteResult>) => {
        const settled: { outcome?: Settled } = {};
        promise.then(
          (value) => (settled.outcome = { status: 'fulfilled', value }),
          (reason: unknown) => (settled.outcome = { status: 'rejected', reason }),
        );
        return { promise, settled };
      };

      const lone = track(writer.write(event(uniqueId('lone'))));
      const batchIds = Array.from({ length: 20 }, () => uniqueId('doomed'));
      const batch = batchIds.map((id) => track(writer.write(event(id))));

      await terminateWaitingWrite(applicationName); // kills the first batch (the lone request)
      await expect(lone.promise).rejects.toThrow();
      await terminateWaitingWrite(applicationName); // then the 20-request batch, mid-statement
      await Promise.allSettled(batch.map((request) => request.promise));

      expect(counting.writeBatches).toEqual([1, 20]);
      expect(batch.map((request) => request.settled.outcome?.status)).toEqual(batchIds.map(() => 'rejected'));
      const reasons = new Set(batch.map((request) => (request.settled.outcome as { reason: unknown }).reason));
      expect(reasons.size).toBe(1); // the batch's one failure, given to each of its requests
      expect([...reasons][0]).not.toBeInstanceOf(UnstorableEventError); // a database failure: 5xx, not 4xx

      await locker.query('ROLLBACK');
      const laterIds = Array.from({ length: 10 }, () => uniqueId('later'));
      const later = await Promise.all(laterIds.map((id) => writer.write(event(id))));
      expect(later.every((result) => !result.duplicate)).toBe(true);

      const stored = await storedIds([...batchIds, ...laterIds]);
      expect(batchIds.filter((id) => stored.has(id))).toEqual([]);
      expect(laterIds.filter((id) => !stored.has(id))).toEqual([]);
    });
  });

  it('does not wait for a timer: a lone write is sent at once', async () => {
    const counting = new CountingPool(newPool('event-writer-spec'));
    const writer = writerOn(counting.asPool(), 500, 2);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      // With timers frozen, a writer that waited for a batch window would never send this.
      const pending = writer.write(event(uniqueId('lone')));
      expect(counting.writeBatches).toEqual([1]);
      jest.useRealTimers();
      expect((await pending).duplicate).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
