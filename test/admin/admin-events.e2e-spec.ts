import { ADMIN_ENV, adminClient } from '../support/admin-client.js';
import { AdminTestHandlersModule, failing } from '../support/admin-test-handlers.js';
import { deliveryExists } from '../support/inbox-rows.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus } from '../support/test-app.js';

describe('admin: events (real Postgres + Redis)', () => {
  let t: TestApp;
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [AdminTestHandlersModule], env: ADMIN_ENV });
    admin = adminClient(t);
  });
  afterAll(async () => t?.close());

  const until = (id: string, status: string) => untilEventStatus(t.db, id, status);

  /** Rows written straight to the table, at chosen times down to the microsecond. */
  async function seed(type: string, receivedAt: string[], status = 'processed', source = 'default'): Promise<string[]> {
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO webhook_events (source, external_id, type, payload, status, received_at)
       SELECT $1, $2 || '-' || n, $3, jsonb_build_object('type', $3::text, 'data', '{}'::jsonb), $4, at
       FROM unnest($5::timestamptz[]) WITH ORDINALITY AS x(at, n)
       RETURNING id`,
      [source, uniqueId('seed'), type, status, receivedAt],
    );
    return rows.map((row) => row.id);
  }

  async function allPages(query: string, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const { status, body } = await admin.get(
        `/admin/events?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      ids.push(...body.items.map((item: { id: string }) => item.id));
      cursor = body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('pagination did not end');
  }

  it('pages newest first with an opaque cursor, exact to the microsecond and stable while events arrive', async () => {
    const type = `admin.page.${uniqueId('t')}`.slice(0, 100);
    // Ties on received_at (ordered by id) and neighbours one microsecond apart, which a
    // millisecond cursor would skip or repeat.
    const times = [
      '2026-11-30T10:00:00.000001Z',
      '2026-11-30T10:00:00.000002Z',
      '2026-11-30T10:00:00.000002Z',
      '2026-11-30T10:00:00.000002Z',
      '2026-11-30T10:00:00.000003Z',
      '2026-11-30T10:00:00.000999Z',
      '2026-11-30T10:00:00.001000Z',
    ];
    await seed(type, times);
    const { rows } = await t.db.query<{ id: string }>(
      'SELECT id FROM webhook_events WHERE type = $1 ORDER BY received_at DESC, id DESC',
      [type],
    );
    const expected = rows.map((row) => row.id);

    const first = await admin.get(`/admin/events?type=${type}&limit=3`);
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual(expected.slice(0, 3));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    // A newer event arriving meanwhile does not shift the following pages.
    await seed(type, ['2026-11-30T11:00:00Z']);
    const rest: string[] = [];
    let cursor = first.body.nextCursor as string | null;
    while (cursor) {
      const page = await admin.get(`/admin/events?type=${type}&limit=3&cursor=${cursor}`);
      rest.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    }
    expect(rest).toEqual(expected.slice(3));

    // Every row exactly once, whatever the page size.
    const all = [
      ...(
        await t.db.query('SELECT id FROM webhook_events WHERE type = $1 ORDER BY received_at DESC, id DESC', [type])
      ).rows.map((r) => r.id),
    ];
    for (const limit of [1, 2, 5, 200]) expect(await allPages(`type=${type}`, limit)).toEqual(all);
  });

  it('filters by type, status, source and a received_at range', async () => {
    const type = `admin.filter.${uniqueId('t')}`.slice(0, 100);
    const [early] = await seed(type, ['2026-11-01T00:00:00Z'], 'failed');
    const [middle] = await seed(type, ['2026-11-15T00:00:00Z'], 'processed');
    const [late] = await seed(type, ['2026-11-29T00:00:00Z'], 'failed', 'other-provider');

    expect(await allPages(`type=${type}`, 50)).toEqual([late, middle, early]);
    expect(await allPages(`type=${type}&status=failed`, 50)).toEqual([late, early]);
    expect(await allPages(`type=${type}&source=other-provider`, 50)).toEqual([late]);
    expect(await allPages(`type=${type}&from=2026-11-10T00:00:00Z&to=2026-11-29T00:00:00Z`, 50)).toEqual([middle]);
    expect(await allPages(`status=failed&from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:01Z&type=${type}`, 50)).toEqual([
      early,
    ]);

    const { body } = await admin.get(`/admin/events?type=${type}&status=processed`);
    expect(body.items).toEqual([
      {
        id: middle,
        externalId: expect.any(String),
        source: 'default',
        type,
        status: 'processed',
        receivedAt: '2026-11-15T00:00:00.000Z',
        processedAt: null,
      },
    ]);
  });

  it.each([
    ['limit above 200', 'limit=201', 'limit must not be greater than 200'],
    ['limit 0', 'limit=0', 'limit must not be less than 1'],
    ['limit not a number', 'limit=ten', 'limit must be an integer number'],
    ['an unknown status', 'status=lost', 'status must be one of the following values'],
    ['a type with bad characters', 'type=a%20b', 'type must contain only'],
    ['a date that is not ISO-8601', 'from=yesterday', 'from must be a valid ISO 8601 date string'],
    ['an unknown parameter', 'colour=red', 'property colour should not exist'],
    ['a forged cursor', `cursor=${Buffer.from('1.not-a-uuid').toString('base64url')}`, 'cursor is invalid'],
  ])('refuses %s with a 400 that names the problem', async (_what, query, message) => {
    const { status, body } = await admin.get(`/admin/events?${query}`);
    expect(status).toBe(400);
    expect(JSON.stringify(body.message)).toContain(message);
  });

  it('shows one event with its envelope, kept headers and every attempt of every delivery', async () => {
    const externalId = uniqueId();
    failing.add(externalId);
    const { body: ack } = await t.post(
      { id: externalId, type: 'admin.switchable', data: { amount: 5 }, extra_field: 'kept' },
      { 'user-agent': 'provider-test/1.0', 'x-request-id': 'req-42' },
    );
    await until(ack.id, 'failed');

    const { status, body } = await admin.get(`/admin/events/${ack.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: ack.id,
      externalId,
      type: 'admin.switchable',
      status: 'failed',
      payload: { id: externalId, type: 'admin.switchable', data: { amount: 5 }, extra_field: 'kept' },
      headers: { 'user-agent': 'provider-test/1.0', 'x-request-id': 'req-42', 'remote-address': '127.0.0.1' },
    });
    expect(body.processedAt).toEqual(expect.any(String));
    expect(body.deliveries.map((d: { handler: string }) => d.handler)).toEqual(['SteadyHandler', 'SwitchableHandler']);
    const [steady, switchable] = body.deliveries;
    expect(steady).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      attemptLog: [{ attempt: 1, outcome: 'succeeded', errorMessage: null }],
    });
    expect(switchable).toMatchObject({
      status: 'dead',
      attempts: 2,
      maxAttempts: 2,
      lastError: `switched off for ${externalId}`,
    });
    expect(switchable.attemptLog).toHaveLength(2);
    for (const [index, attempt] of switchable.attemptLog.entries()) {
      expect(attempt).toMatchObject({
        attempt: index + 1,
        outcome: 'failed',
        errorMessage: `switched off for ${externalId}`,
      });
      expect(attempt.errorStack).toMatch(/^Error: switched off for .*\n\s+at /);
      expect(attempt.errorStack.split('\n').length).toBeLessThanOrEqual(12);
      expect(Date.parse(attempt.finishedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt));
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers 404 for an unknown id and 400 for one that is not a uuid', async () => {
    const missing = await admin.get('/admin/events/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('no event with id');
    expect((await admin.get('/admin/events/not-a-uuid')).status).toBe(400);
  });

  it('purges finished events before a date in batches, with their deliveries and attempts, leaving the rest', async () => {
    const type = `admin.purge.${uniqueId('t')}`.slice(0, 100);
    const old = await seed(
      type,
      Array.from({ length: 1203 }, () => '2026-10-01T00:00:00Z'),
      'failed',
    );
    const [recentFailed] = await seed(type, ['2026-11-20T00:00:00Z'], 'failed');
    const [oldQueued] = await seed(type, ['2026-10-01T00:00:00Z'], 'queued');
    // One of the old events has a delivery with an attempt: they go with it.
    const {
      rows: [delivery],
    } = await t.db.query(
      `INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts) VALUES ($1, 'SteadyHandler', 'dead', 1, 1) RETURNING id`,
      [old[0]],
    );
    await t.db.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, outcome, started_at, finished_at, duration_ms)
       VALUES ($1, 1, 'failed', now(), now(), 1)`,
      [delivery.id],
    );

    const refused = await admin.delete('/admin/events?status=queued&before=2026-11-01T00:00:00Z');
    expect(refused.status).toBe(400);
    expect((await admin.delete('/admin/events?status=failed&includeFailed=true')).status).toBe(400);
    // Failed events only when asked for by name; nothing younger than PURGE_MIN_AGE (24 h by default).
    const notAskedFor = await admin.delete('/admin/events?status=failed&before=2026-11-01T00:00:00Z');
    expect(notAskedFor.status).toBe(400);
    expect(notAskedFor.body.message).toEqual([expect.stringMatching(/pass includeFailed=true to purge them/)]);
    const tooRecent = new Date(Date.now() - 23 * 3_600_000).toISOString();
    const young = await admin.delete(`/admin/events?status=failed&includeFailed=true&before=${tooRecent}`);
    expect(young.status).toBe(400);
    expect(young.body.message).toEqual([
      expect.stringMatching(/^before must be at most now minus PURGE_MIN_AGE \(24 h\)/),
    ]);

    const dryRun = await admin.delete(
      '/admin/events?status=failed&includeFailed=true&dryRun=true&before=2026-11-01T00:00:00Z',
    );
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({ deleted: 0, dryRun: true, statuses: ['failed'] });
    expect(dryRun.body.matched).toBeGreaterThanOrEqual(1203);
    expect((await t.db.query('SELECT 1 FROM webhook_events WHERE id = ANY($1)', [old])).rowCount).toBe(1203);

    const { status, body } = await admin.delete(
      '/admin/events?status=failed&includeFailed=true&before=2026-11-01T00:00:00Z',
    );
    expect(status).toBe(200);
    expect(body.deleted).toBeGreaterThanOrEqual(1203); // other tests' old failed events may go too
    const left = await t.db.query('SELECT id FROM webhook_events WHERE type = $1 ORDER BY received_at', [type]);
    expect(left.rows.map((row) => row.id).sort()).toEqual([recentFailed, oldQueued].sort());
    expect(await deliveryExists(t.db, delivery.id)).toBe(false);
    expect(
      (await t.db.query('SELECT 1 FROM webhook_delivery_attempts WHERE delivery_id = $1', [delivery.id])).rowCount,
    ).toBe(0);
  });

  it('purges processed and ignored events by default, never failed or unfinished ones', async () => {
    const type = `admin.purge.${uniqueId('d')}`.slice(0, 100);
    const long = '2026-10-02T00:00:00Z';
    const [processed] = await seed(type, [long], 'processed');
    const [ignored] = await seed(type, [long], 'ignored');
    const [failed] = await seed(type, [long], 'failed');
    const [received] = await seed(type, [long], 'received');
    const { status, body } = await admin.delete('/admin/events?before=2026-10-03T00:00:00Z');
    expect(status).toBe(200);
    expect(body).toMatchObject({ dryRun: false, statuses: ['processed', 'ignored'] });
    expect(body.deleted).toBe(body.matched);
    const left = await t.db.query<{ id: string }>('SELECT id FROM webhook_events WHERE type = $1', [type]);
    expect(left.rows.map((row) => row.id).sort()).toEqual([failed, received].sort());
    expect([processed, ignored].some((id) => left.rows.some((row) => row.id === id))).toBe(false);
  });

  it('refuses every admin route without the key', async () => {
    const anonymous = adminClient(t, null);
    const wrong = adminClient(t, 'Bearer not-the-key');
    for (const client of [anonymous, wrong]) {
      expect((await client.get('/admin/events')).status).toBe(401);
      expect((await client.get('/admin/events/00000000-0000-4000-8000-000000000000')).status).toBe(401);
      expect((await client.post('/admin/events/replay', {})).status).toBe(401);
    }
  });
});
