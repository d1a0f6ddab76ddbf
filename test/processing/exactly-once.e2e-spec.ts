import { randomUUID } from 'node:crypto';
import { startTestApp, untilEventStatus, waitFor, type TestApp } from '../support/test-app.js';
import { DataSource } from 'typeorm';
import { PG_POOL } from '../../src/database/pg-pool.js';
import type { Pool } from 'pg';
import { gate, ProcessingTestHandlersModule, TransactionLimitsHandler } from './support/processing-handlers.js';

/**
 * Processing with real workers, Postgres and Redis: a transactional handler's effect commits
 * exactly once even when its first run outlives its timeout; acknowledgements never wait for the
 * connections handlers hold; retry times come from the database's clock.
 */
describe('processing: exactly once, and out of the way of acknowledgements', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      extraImports: [ProcessingTestHandlersModule],
      // Fewer app connections than HeldTransactionHandler runs at once (8).
      env: { DATABASE_POOL_SIZE: '4' },
    });
    await t.db.query('CREATE TABLE IF NOT EXISTS processing_effects (event_id uuid NOT NULL, attempt int NOT NULL)');
  });
  afterAll(async () => {
    await t?.db.query('DROP TABLE IF EXISTS processing_effects');
    await t?.close();
  });

  const attemptsOf = async (eventId: string) =>
    (
      await t.db.query<{ attempt: number; outcome: string }>(
        `SELECT a.attempt, a.outcome FROM webhook_delivery_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1 ORDER BY a.attempt`,
        [eventId],
      )
    ).rows;

  it('a transactional handler that runs past its timeout applies its writes once', async () => {
    const { status, body } = await t.post({ id: `evt_${randomUUID()}`, type: 'test.slow_tx', data: {} });
    expect(status).toBe(200);
    await untilEventStatus(t.db, body.id, 'processed');
    expect(await attemptsOf(body.id)).toEqual([
      { attempt: 1, outcome: 'timed_out' },
      { attempt: 2, outcome: 'succeeded' },
    ]);
    // The first run's INSERT came after its timeout: it was refused, not committed on its own.
    // Give it every chance to land: its pg_sleep(0.3) ended long before the second run finished.
    const { rows } = await t.db.query('SELECT attempt FROM processing_effects WHERE event_id = $1', [body.id]);
    expect(rows).toEqual([{ attempt: 2 }]);
  });

  it('acknowledges while handlers hold every connection of the app pool', async () => {
    const held = Array.from({ length: 6 }, () => `evt_${randomUUID()}`);
    for (const id of held) expect((await t.post({ id, type: 'test.held_tx', data: {} })).status).toBe(200);
    // Four runs hold the pool's four connections in open transactions; the others wait for one.
    await waitFor(async () => held.filter((id) => gate(id).runs > 0).length >= 4, 15_000, 'the pool to be taken');
    try {
      const { status, body } = await t.post({ id: `evt_${randomUUID()}`, type: 'test.unhandled', data: {} });
      expect(status).toBe(200);
      expect(held.every((id) => gate(id).runs <= 1)).toBe(true);
      const { rows } = await t.db.query('SELECT id FROM webhook_events WHERE id = $1', [body.id]);
      expect(rows).toHaveLength(1);
    } finally {
      for (const id of held) gate(id).release();
    }
  });

  it('schedules a retry on the database clock', async () => {
    const { body } = await t.post({ id: `evt_${randomUUID()}`, type: 'test.failing', data: {} });
    await waitFor(
      async () =>
        (await t.db.query(`SELECT 1 FROM webhook_deliveries WHERE event_id = $1 AND status = 'retrying'`, [body.id]))
          .rowCount === 1,
      15_000,
      'the delivery to be retrying',
    );
    // Written by one statement: the backoff is added to that statement's now(), not the worker's clock.
    const { rows } = await t.db.query<{ wait_ms: string }>(
      `SELECT (extract(epoch FROM next_attempt_at - updated_at) * 1000)::numeric AS wait_ms
       FROM webhook_deliveries WHERE event_id = $1`,
      [body.id],
    );
    expect(Number(rows[0].wait_ms)).toBe(60_000);
  });

  it('runs every connection under server-side limits, raised for a transactional handler to its own time limit', async () => {
    const show = async (query: (sql: string) => Promise<Record<string, string>[]>) => ({
      statement: (await query('SHOW statement_timeout'))[0].statement_timeout,
      idle: (await query('SHOW idle_in_transaction_session_timeout'))[0].idle_in_transaction_session_timeout,
    });
    // The ORM's pool and the store's pool, as the server sees them.
    const orm = t.app.get(DataSource);
    const store = t.app.get<Pool>(PG_POOL);
    expect(await show((sql) => orm.query(sql))).toEqual({ statement: '10s', idle: '10s' });
    expect(await show(async (sql) => (await store.query(sql)).rows)).toEqual({ statement: '10s', idle: '10s' });

    const externalId = `evt_${randomUUID()}`;
    const { body } = await t.post({ id: externalId, type: 'test.tx_limits', data: {} });
    await untilEventStatus(t.db, body.id, 'processed');
    // 20 s time limit + 5 s margin: the fence ends the attempt first, the server only if the ROLLBACK never arrives.
    expect(TransactionLimitsHandler.seen.get(externalId)).toEqual({ statement: '10s', idle: '25s' });
  });
});
