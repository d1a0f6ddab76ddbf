import type pg from 'pg';
import { EventWriter } from '../../src/ingress/event-writer.js';
import { blockedEventWrites, storedIds } from '../support/inbox-rows.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, waitFor } from '../support/test-app.js';

/**
 * Group commit seen from the sender: when a batch's statement fails, every request in it gets a
 * 5xx and none a 2xx, and nothing of it is stored. The real service; its real Postgres
 * connections killed mid-statement while a table lock holds the batches in place.
 */
describe('POST /webhooks when a write batch fails (real Postgres)', () => {
  let t: TestApp;
  let writer: EventWriter;

  beforeAll(async () => {
    t = await startTestApp();
    // The service's writer, to see how requests were grouped (its stats are what metrics read).
    writer = t.app.get(EventWriter);
  });
  afterAll(async () => t?.close());

  const killWaitingWrites = async (count: number, what: string) => {
    const pids = await waitFor(
      async () => {
        const waiting = await blockedEventWrites(t.db);
        return waiting.length === count ? waiting : undefined;
      },
      15_000,
      what,
    );
    await t.db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  };

  const stored = (ids: string[]) => storedIds(t.db, ids);

  it('answers 503 with Retry-After to every request of a failed batch, stores none, and serves the next ones', async () => {
    const locker: pg.PoolClient = await t.db.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE webhook_events IN SHARE MODE'); // blocks INSERT only
      const statsBefore = { ...writer.stats };

      const ids = Array.from({ length: 30 }, () => uniqueId('http-batch'));
      const responses = ids.map((id) => t.post({ id, type: 'test.writer', data: { n: 1 } }));

      // The first requests took the write slots alone (one each); the others wait for a slot.
      const slots = writer.maxConcurrentBatches;
      const waiting = ids.length - slots;
      await waitFor(
        async () => writer.waiting === waiting,
        15_000,
        `the other ${waiting} requests to wait for a write slot`,
      );
      await killWaitingWrites(slots, 'the write slots to wait on the lock');
      // The others now go out together as one batch, which blocks on the lock in turn: kill it too.
      await killWaitingWrites(1, `the ${waiting}-request batch to wait on the lock`);

      const answers = await Promise.all(responses);
      expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 503));
      expect(answers.map((answer) => answer.headers.get('retry-after'))).toEqual(ids.map(() => '5'));
      expect(writer.stats.batches - statsBefore.batches).toBe(slots + 1);
      expect(writer.stats.largestBatch).toBeGreaterThanOrEqual(waiting);
      expect((await stored(ids)).size).toBe(0);

      await locker.query('ROLLBACK');
      const later = Array.from({ length: 5 }, () => uniqueId('http-later'));
      const laterAnswers = await Promise.all(later.map((id) => t.post({ id, type: 'test.writer', data: { n: 2 } })));
      expect(laterAnswers.map((answer) => answer.status)).toEqual(later.map(() => 200));
      const laterStored = await stored(later);
      expect(later.map((id, index) => laterStored.get(id) === laterAnswers[index].body.id)).toEqual(
        later.map(() => true),
      );
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });
});
