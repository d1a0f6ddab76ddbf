import { RetentionService } from '../../src/ops/retention/retention.service.js';
import { ADMIN_ENV } from '../support/admin-client.js';
import { countEvents, deliveryExists } from '../support/inbox-rows.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId } from '../support/test-app.js';

describe('retention: processed and ignored events, and quarantined requests, older than RETENTION_DAYS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...ADMIN_ENV, RETENTION_DAYS: '3' } });
  });
  afterAll(async () => t?.close());

  async function seed(type: string, status: string, daysAgo: number, count: number): Promise<string[]> {
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO webhook_events (external_id, type, payload, status, received_at, processed_at)
       SELECT $1 || '-' || n, $2, '{"data":{}}', $3, now() - $4::int * interval '1 day', now()
       FROM generate_series(1, $5) AS n
       RETURNING id`,
      [uniqueId('ret'), type, status, daysAgo, count],
    );
    return rows.map((row) => row.id);
  }
  const countOf = (type: string, status: string) => countEvents(t.db, { type, status });

  it('deletes them in batches with their deliveries, keeps failed and recent ones, and skips rows another transaction holds', async () => {
    const type = `retention.${uniqueId('t')}`.slice(0, 100);
    const oldProcessed = await seed(type, 'processed', 4, 2500); // more than two batches
    await seed(type, 'ignored', 4, 10);
    await seed(type, 'failed', 40, 5);
    await seed(type, 'processed', 2, 7);
    const {
      rows: [delivery],
    } = await t.db.query(
      `INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts) VALUES ($1, 'SomeHandler', 'succeeded', 1, 5) RETURNING id`,
      [oldProcessed[0]],
    );
    // A worker (say) holds one expired row: the purge must neither wait for it nor delete it.
    const holder = await t.db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM webhook_events WHERE id = $1 FOR UPDATE', [oldProcessed[1]]);
      const started = Date.now();
      const deleted = await t.app.get(RetentionService).purgeExpired();
      const tookMs = Date.now() - started;
      expect(deleted.events).toBeGreaterThanOrEqual(2509);
      expect(tookMs).toBeLessThan(10_000); // did not sit on the lock until the statement timeout
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await countOf(type, 'processed')).toBe(7 + 1); // the recent ones and the locked one
    expect((await t.db.query('SELECT 1 FROM webhook_events WHERE id = $1', [oldProcessed[1]])).rowCount).toBe(1);
    expect(await countOf(type, 'ignored')).toBe(0);
    expect(await countOf(type, 'failed')).toBe(5);
    expect(await deliveryExists(t.db, delivery.id)).toBe(false);

    // The next pass takes the row that was locked.
    await t.app.get(RetentionService).purgeExpired();
    expect(await countOf(type, 'processed')).toBe(7);
  });

  it('deletes quarantined requests older than RETENTION_DAYS in batches, keeps recent ones and rows another transaction holds', async () => {
    const seedRejections = async (daysAgo: number, count: number): Promise<string[]> => {
      const { rows } = await t.db.query<{ id: string }>(
        `INSERT INTO webhook_rejections (received_at, code, reason, headers, body)
         SELECT now() - $1::int * interval '1 day', 'invalid_envelope', 'data is required', '{}', convert_to($2 || n, 'UTF8')
         FROM generate_series(1, $3) AS n
         RETURNING id`,
        [daysAgo, '{"type":"a"}', count],
      );
      return rows.map((row) => row.id);
    };
    const old = await seedRejections(4, 1500); // more than one batch
    const recent = await seedRejections(2, 3);
    const holder = await t.db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM webhook_rejections WHERE id = $1 FOR UPDATE', [old[0]]);
      const deleted = await t.app.get(RetentionService).purgeExpired();
      expect(deleted.rejections).toBe(1499);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const left = async (ids: string[]) =>
      (await t.db.query('SELECT count(*)::int AS n FROM webhook_rejections WHERE id = ANY($1::uuid[])', [ids])).rows[0]
        .n;
    expect(await left(old)).toBe(1);
    expect(await left(recent)).toBe(3);
    expect((await t.app.get(RetentionService).purgeExpired()).rejections).toBe(1);
    expect(await left(old)).toBe(0);
    expect(await left(recent)).toBe(3);
  });
});
