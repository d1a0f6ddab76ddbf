import { OutboxRelay } from '../../src/processing/relay/outbox-relay.js';
import { adminClient, ADMIN_ENV } from '../support/admin-client.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import { startTestApp, uniqueId, untilEventStatus, waitFor, type TestApp } from '../support/test-app.js';
import {
  failFirst,
  failing,
  orderedRuns,
  OrderingTestHandlersModule,
  type OrderedRun,
} from './support/ordering-handlers.js';

/**
 * Ordered handlers (`orderBy`) on real Postgres and Redis: one delivery of a key at a time, in
 * inbox order; a failing head holds only its key; `block` and `skip`; the admin endpoints; replay;
 * events without a key.
 */
describe('ordered deliveries', () => {
  let t: TestApp;
  let database: FreshDatabase;
  let db: FreshDatabase['db'];
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    // A database of its own: an ordered delivery waits for every earlier event to be dispatched,
    // and rows other suites leave behind undispatched on purpose would hold these keys up.
    database = await freshDatabase('ordering');
    db = database.db;
    t = await startTestApp({
      extraImports: [OrderingTestHandlersModule],
      env: { ...ADMIN_ENV, DATABASE_URL: database.url },
    });
    admin = adminClient(t);
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  interface Sent {
    externalId: string;
    id: string;
    key?: string;
  }

  const send = async (type: string, key: string | undefined, extra: Record<string, unknown> = {}): Promise<Sent> => {
    const externalId = uniqueId('ord');
    const { status, body } = await t.post({ id: externalId, type, data: { key, ...extra } });
    expect(status).toBe(200);
    return { externalId, id: body.id, key };
  };

  /** Inbox positions (commit order) of these events, by inbox id. */
  const positions = async (events: Sent[]) => {
    const { rows } = await db.query<{ id: string; seq: string }>(
      'SELECT id, seq FROM webhook_events WHERE id = ANY($1::uuid[])',
      [events.map((e) => e.id)],
    );
    return new Map(rows.map((row) => [row.id, BigInt(row.seq)]));
  };

  const runsOf = (handler: string, events: Sent[]) => {
    const ids = new Set(events.map((e) => e.externalId));
    return orderedRuns.filter((r) => r.handler === handler && ids.has(r.externalId));
  };

  const delivery = async (handler: string, event: Sent) =>
    (
      await db.query<{ status: string; skipped_at: Date | null; last_error: string | null; attempts: number }>(
        'SELECT status, skipped_at, last_error, attempts FROM webhook_deliveries WHERE event_id = $1 AND handler = $2',
        [event.id, handler],
      )
    ).rows[0];

  /** Runs of each key never overlap, and each key's successful runs follow inbox order. */
  const expectInOrder = async (handler: string, events: Sent[]) => {
    const position = await positions(events);
    const byExternal = new Map(events.map((e) => [e.externalId, e]));
    const runs = runsOf(handler, events);
    const byKey = new Map<string, OrderedRun[]>();
    for (const r of runs) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    for (const [key, keyRuns] of byKey) {
      const sorted = [...keyRuns].sort((a, b) => a.start - b.start);
      for (let i = 1; i < sorted.length; i++) {
        // One at a time: a run of the key starts only after the one before it ended.
        expect({ key, overlap: sorted[i].start < sorted[i - 1].end }).toEqual({ key, overlap: false });
      }
      const succeeded = sorted.filter((r) => r.ok).map((r) => position.get(byExternal.get(r.externalId)!.id)!);
      expect(succeeded).toEqual([...succeeded].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  };

  it('runs each key one delivery at a time in inbox order, keys in parallel, several types together', async () => {
    const keys = Array.from({ length: 6 }, (_, i) => uniqueId(`key${i}`));
    // Sent concurrently: their inbox order is whatever order they committed in.
    const events = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(i % 3 === 0 ? 'test.ordered_other' : 'test.ordered', keys[i % keys.length], { ms: 5 + (i % 4) * 5 }),
      ),
    );
    for (const event of events) await untilEventStatus(db, event.id, 'processed', 30_000);
    await expectInOrder('OrderedHandler', events);
    // Different keys overlapped: ordering is per key, not per handler.
    const runs = runsOf('OrderedHandler', events).sort((a, b) => a.start - b.start);
    const parallel = runs.some((r, i) => i > 0 && r.start < runs[i - 1].end && r.key !== runs[i - 1].key);
    expect(parallel).toBe(true);
    expect(runs).toHaveLength(60);
  });

  it('holds only the key of a retrying head, then runs the key in order', async () => {
    const [slow, other] = [uniqueId('slow'), uniqueId('other')];
    const head = await send('test.ordered', slow);
    failFirst.set(head.externalId, 1);
    const behind = [await send('test.ordered', slow), await send('test.ordered', slow)];
    const others = [await send('test.ordered', other), await send('test.ordered', other)];
    for (const event of others) await untilEventStatus(db, event.id, 'processed');
    // The other key finished while the head waits for its retry (200 ms): nothing of its key ran after it.
    const firstRetry = (await waitFor(() => runsOf('OrderedHandler', [head]).find((r) => r.attempt === 2)))!;
    const behindRuns = runsOf('OrderedHandler', behind);
    expect(behindRuns.every((r) => r.start >= firstRetry.end)).toBe(true);
    for (const event of behind) await untilEventStatus(db, event.id, 'processed');
    await expectInOrder('OrderedHandler', [head, ...behind]);
  });

  it("blocks a key behind a dead head ('block'); the admin API lists it, retries it and skips it", async () => {
    const [blocked, skipped] = [uniqueId('blocked'), uniqueId('skipped')];
    const poison = await send('test.ordered', blocked);
    failing.add(poison.externalId);
    const waiting = [await send('test.ordered_other', blocked), await send('test.ordered', blocked)];
    const poison2 = await send('test.ordered', skipped);
    failing.add(poison2.externalId);
    const after2 = await send('test.ordered', skipped);

    await untilEventStatus(db, poison.id, 'failed');
    await untilEventStatus(db, poison2.id, 'failed');
    const list = await admin.get('/admin/ordering/blocked?handler=OrderedHandler');
    expect(list.status).toBe(200);
    const keys = list.body.handlers[0].keys;
    expect(list.body.handlers[0]).toMatchObject({ handler: 'OrderedHandler', onDead: 'block' });
    expect(keys.find((k: any) => k.key === blocked)).toMatchObject({
      key: blocked,
      waiting: 2,
      head: { eventId: poison.id, status: 'dead', attempts: 2, error: `failing on purpose: ${poison.externalId}` },
    });
    // Nothing of the blocked keys ran after their heads died.
    expect(runsOf('OrderedHandler', [...waiting, after2])).toEqual([]);
    expect(await delivery('OrderedHandler', waiting[0])).toMatchObject({ status: 'pending' });

    // A retry that fails again keeps the key; one that succeeds lets it go on, in order.
    expect((await admin.post(`/admin/ordering/OrderedHandler/${blocked}/retry`)).status).toBe(200);
    await waitFor(
      async () => (await delivery('OrderedHandler', poison)).attempts === 4,
      10_000,
      'the retried head to fail again',
    );
    await untilEventStatus(db, poison.id, 'failed');
    expect(runsOf('OrderedHandler', waiting)).toEqual([]);
    failing.delete(poison.externalId);
    const retried = await admin.post(`/admin/ordering/OrderedHandler/${encodeURIComponent(blocked)}/retry`);
    expect(retried).toMatchObject({ status: 200, body: { retried: { eventId: poison.id }, queued: true } });
    for (const event of [poison, ...waiting]) await untilEventStatus(db, event.id, 'processed');
    await expectInOrder('OrderedHandler', [poison, ...waiting]);

    // Skip: the head stays dead, marked skipped; the next delivery of the key runs.
    const skip = await admin.post(`/admin/ordering/OrderedHandler/${skipped}/skip`);
    expect(skip).toMatchObject({
      status: 200,
      body: { skipped: { eventId: poison2.id }, next: { eventId: after2.id } },
    });
    await untilEventStatus(db, after2.id, 'processed');
    expect(await delivery('OrderedHandler', poison2)).toMatchObject({ status: 'dead', skipped_at: expect.any(Date) });
    expect(runsOf('OrderedHandler', [poison2])).toHaveLength(2);

    // Nothing holds these keys any more.
    const after = await admin.get('/admin/ordering/blocked?handler=OrderedHandler');
    expect(
      after.body.handlers.flatMap((h: any) => h.keys).filter((k: any) => [blocked, skipped].includes(k.key)),
    ).toEqual([]);
    expect((await admin.post(`/admin/ordering/OrderedHandler/${skipped}/skip`)).status).toBe(404);

    // Both on the audit trail, with the key and what they touched; the refused one too.
    const audit = await admin.get('/admin/audit?limit=200');
    const ofKey = (action: string, key: string) =>
      audit.body.items.filter(
        (entry: any) =>
          entry.action === action && entry.params.path?.key === key && entry.params.path?.handler === 'OrderedHandler',
      );
    expect(ofKey('ordering.retry', blocked).map((entry: any) => [entry.status, entry.rows])).toEqual([
      [200, 1],
      [200, 1],
    ]);
    expect(ofKey('ordering.skip', skipped).map((entry: any) => entry.status)).toEqual([404, 200]);
  });

  it('refuses to skip or retry a head that is not failing', async () => {
    const key = uniqueId('busy');
    const slow = await send('test.ordered', key, { ms: 1500 });
    await waitFor(() => runsOf('OrderedHandler', [slow]).length === 1);
    const skip = await admin.post(`/admin/ordering/OrderedHandler/${key}/skip`);
    expect(skip.status).toBe(409);
    expect(skip.body.message).toMatch(/is running, not dead or retrying/);
    expect((await admin.post(`/admin/ordering/OrderedHandler/${key}/retry`)).status).toBe(409);
    expect((await admin.post(`/admin/ordering/NoSuchHandler/${key}/retry`)).status).toBe(404);
    await untilEventStatus(db, slow.id, 'processed');
  });

  it("with onDead: 'skip' a dead head frees its key by itself, and the skip is recorded", async () => {
    const key = uniqueId('autoskip');
    const poison = await send('test.ordered_skip', key);
    failing.add(poison.externalId);
    const next = [await send('test.ordered_skip', key), await send('test.ordered_skip', key)];
    await untilEventStatus(db, poison.id, 'failed');
    for (const event of next) await untilEventStatus(db, event.id, 'processed');
    expect(await delivery('SkippingOrderedHandler', poison)).toMatchObject({
      status: 'dead',
      skipped_at: expect.any(Date),
    });
    await expectInOrder('SkippingOrderedHandler', [poison, ...next]);
    const blocked = await admin.get('/admin/ordering/blocked?handler=SkippingOrderedHandler');
    expect(blocked.body.handlers).toEqual([]);
  });

  it('puts a replayed event back in its key: it runs before the deliveries still waiting behind it', async () => {
    const key = uniqueId('replay');
    const first = await send('test.ordered', key);
    await untilEventStatus(db, first.id, 'processed');
    const poison = await send('test.ordered', key);
    failing.add(poison.externalId);
    const last = await send('test.ordered', key);
    await untilEventStatus(db, poison.id, 'failed');

    // The first event replayed: nothing before it holds the key, so it runs again at once, while
    // the last one still waits behind the dead one.
    const replay = await admin.post(`/admin/events/${first.id}/replay?handler=OrderedHandler`);
    expect(replay.body.replayed).toHaveLength(1);
    await waitFor(() => runsOf('OrderedHandler', [first]).length === 2);
    await untilEventStatus(db, first.id, 'processed');
    expect(runsOf('OrderedHandler', [last])).toEqual([]);

    // The dead one replayed (the usual replay of a failed event) runs first, then the last one.
    failing.delete(poison.externalId);
    expect((await admin.post(`/admin/events/${poison.id}/replay`)).status).toBe(200);
    await untilEventStatus(db, last.id, 'processed');
    const [poisonOk] = runsOf('OrderedHandler', [poison]).filter((r) => r.ok);
    const [lastRun] = runsOf('OrderedHandler', [last]);
    expect(lastRun.start).toBeGreaterThanOrEqual(poisonOk.end);
  });

  it('refuses an event without a key at dispatch with a permanent error, unless the handler runs it unordered', async () => {
    const refused = await send('test.ordered', undefined);
    await untilEventStatus(db, refused.id, 'failed');
    expect(await delivery('OrderedHandler', refused)).toMatchObject({
      status: 'dead',
      attempts: 0,
      last_error: expect.stringMatching(/^ordering key missing: orderBy \(data\.key\) gave undefined/),
    });
    expect(runsOf('OrderedHandler', [refused])).toEqual([]);

    const loose = await send('test.ordered_skip', undefined);
    await untilEventStatus(db, loose.id, 'processed');
    expect(runsOf('SkippingOrderedHandler', [loose])).toHaveLength(1);
  });

  it("has the relay re-queue a key's head whose job was lost, never a delivery waiting behind a head", async () => {
    const [held, lost] = [uniqueId('held'), uniqueId('lost')];
    const heads = [await send('test.ordered', held), await send('test.ordered', lost)];
    for (const head of heads) failing.add(head.externalId);
    const behindHeld = await send('test.ordered', held);
    const behindLost = await send('test.ordered', lost);
    for (const head of heads) await untilEventStatus(db, head.id, 'failed');
    // The lost key's head is skipped as if by an operator whose wake-up job Redis then lost; both
    // waiting deliveries look abandoned to the relay (untouched for minutes, their jobs gone).
    await db.query(`UPDATE webhook_deliveries SET skipped_at = now() WHERE event_id = $1`, [heads[1].id]);
    await db.query(
      `UPDATE webhook_deliveries SET updated_at = now() - interval '5 minutes', job_id = 'lost-job'
       WHERE event_id = ANY($1::uuid[])`,
      [[behindHeld.id, behindLost.id]],
    );
    await t.app.get(OutboxRelay).tick();
    await untilEventStatus(db, behindLost.id, 'processed');
    const { rows } = await db.query(`SELECT status, job_id FROM webhook_deliveries WHERE event_id = $1`, [
      behindHeld.id,
    ]);
    expect(rows).toEqual([{ status: 'pending', job_id: 'lost-job' }]);
    expect(runsOf('OrderedHandler', [behindHeld])).toEqual([]);
    await admin.post(`/admin/ordering/OrderedHandler/${held}/skip`);
    await untilEventStatus(db, behindHeld.id, 'processed');
  });

  it('reports blocked keys in the metrics', async () => {
    const key = uniqueId('metric');
    const poison = await send('test.ordered', key);
    failing.add(poison.externalId);
    await send('test.ordered', key);
    await untilEventStatus(db, poison.id, 'failed');
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      return /webhook_inbox_ordering_keys_blocked [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/webhook_inbox_ordering_deliveries_waiting [1-9]/);
    expect(metrics).toMatch(/webhook_inbox_ordering_oldest_blocked_age_seconds \d/);
    await admin.post(`/admin/ordering/OrderedHandler/${key}/skip`);
  });
});
