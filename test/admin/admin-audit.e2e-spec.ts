import { randomUUID } from 'node:crypto';
import { EventReplayService } from '../../src/admin/replay/event-replay.service.js';
import { adminClient } from '../support/admin-client.js';
import { AdminTestHandlersModule } from '../support/admin-test-handlers.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus } from '../support/test-app.js';

/**
 * Every mutating admin call is on the audit trail, named by the key that made it; the bulk replay's
 * dry run and confirmation. Real Postgres and Redis.
 */
const OPS_KEY = 'ops-key-0123456789abcdefghijklmnopqrstu';
const CI_KEY = 'ci-key-0123456789abcdefghijklmnopqrstuv';

describe('admin: audit trail and bulk safety (real service)', () => {
  let t: TestApp;
  let ops: ReturnType<typeof adminClient>;
  let ci: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    t = await startTestApp({
      extraImports: [AdminTestHandlersModule],
      env: { ADMIN_API_KEYS: `ops:${OPS_KEY} ci:${CI_KEY}` },
    });
    ops = adminClient(t, `Bearer ${OPS_KEY}`);
    ci = adminClient(t, `Bearer ${CI_KEY}`);
  });
  afterAll(async () => t?.close());

  /** The audit's entries for this filter newer than `since`, walking the keyset pages `limit` at a time. */
  async function auditEntries(query: string, limit = 2, since: string | null = null): Promise<any[]> {
    const entries: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const { status, body } = await ops.get(
        `/admin/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      for (const item of body.items) {
        if (since !== null && BigInt(item.id) <= BigInt(since)) return entries;
        entries.push(item);
      }
      cursor = body.nextCursor;
      if (!cursor) return entries;
    }
    throw new Error('pagination did not end');
  }

  it('records every kind of change with who, how, what, its parameters, the answer and the rows touched', async () => {
    const since = (await t.db.query<{ id: string | null }>('SELECT max(id)::text AS id FROM admin_audit_log')).rows[0]
      .id;
    const sent = await ops.post('/admin/test-webhook', {
      type: 'admin.order_placed',
      data: { order_id: 'o-1', quantity: 1 },
    });
    expect(sent.body.accepted).toBe(true);
    await untilEventStatus(t.db, sent.body.eventId, 'processed');
    expect((await ops.post(`/admin/events/${sent.body.eventId}/replay?all=true`)).status).toBe(200);
    await untilEventStatus(t.db, sent.body.eventId, 'processed');
    expect((await ci.put('/admin/subscriptions', { mode: 'all', reason: 'audit test' })).status).toBe(200);
    const type = `audit.${randomUUID().slice(0, 8)}`;
    expect((await ci.post('/admin/events/replay', { type, dryRun: true })).body).toEqual({
      replayId: null,
      matched: 0,
      dryRun: true,
    });
    const purge = await ops.delete('/admin/events?before=2026-01-01T00:00:00Z&dryRun=true');
    expect(purge.body).toMatchObject({ deleted: 0, dryRun: true });
    const missing = randomUUID();
    expect((await ops.delete(`/admin/rejections/${missing}`)).status).toBe(404);
    expect((await ops.delete('/admin/events?status=processing&before=2026-01-01T00:00:00Z')).status).toBe(400);
    // Reads are not recorded.
    await ops.get('/admin/events?limit=1');

    const entries = await auditEntries('', 2, since);
    const ids = entries.map((entry) => BigInt(entry.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))); // newest first
    const summary = entries
      .map(({ actor, via, action, method, status, rows }) => ({ actor, via, action, method, status, rows }))
      .reverse();
    expect(summary).toEqual([
      { actor: 'ops', via: 'bearer', action: 'test-webhook.send', method: 'POST', status: 200, rows: 1 },
      { actor: 'ops', via: 'bearer', action: 'events.replay', method: 'POST', status: 200, rows: 1 },
      {
        actor: 'ci',
        via: 'bearer',
        action: 'subscriptions.replace',
        method: 'PUT',
        status: 200,
        rows: expect.any(Number),
      },
      { actor: 'ci', via: 'bearer', action: 'events.replay-by-filter', method: 'POST', status: 202, rows: 0 },
      { actor: 'ops', via: 'bearer', action: 'events.purge', method: 'DELETE', status: 200, rows: 0 },
      { actor: 'ops', via: 'bearer', action: 'rejections.delete', method: 'DELETE', status: 404, rows: null },
      { actor: 'ops', via: 'bearer', action: 'events.purge', method: 'DELETE', status: 400, rows: null },
    ]);
    const [refusedPurge, refusedDelete, , , , replayOne, testWebhook] = entries;
    expect(testWebhook).toMatchObject({
      ip: '127.0.0.1',
      path: '/admin/test-webhook',
      params: { body: { type: 'admin.order_placed', data: { order_id: 'o-1', quantity: 1 } } },
      error: null,
    });
    expect(replayOne.params).toEqual({ path: { id: sent.body.eventId }, query: { all: 'true' } });
    expect(refusedDelete).toMatchObject({ error: `no quarantined request with id ${missing}` });
    expect(refusedPurge.error).toMatch(/status must be one of the following values/);
    expect(Date.parse(testWebhook.at)).toBeLessThanOrEqual(Date.now());

    // Filters, and nothing of the keys themselves anywhere in the trail.
    const byCi = await auditEntries('actor=ci', 2, since);
    expect(byCi.map((entry) => entry.action)).toEqual(['events.replay-by-filter', 'subscriptions.replace']);
    expect((await auditEntries('action=events.purge', 50, since)).length).toBe(2);
    const { rows } = await t.db.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM admin_audit_log a');
    for (const { row } of rows) expect(row).not.toMatch(new RegExp(`${OPS_KEY}|${CI_KEY}`));
    expect((await ops.get('/admin/audit?cursor=abc')).status).toBe(400);
  });

  it('makes a bulk replay of more than 10,000 events name their count, and counts on a dry run', async () => {
    const type = `audit.bulk.${uniqueId('t')}`.slice(0, 100);
    await t.db.query(
      `INSERT INTO webhook_events (external_id, type, payload, status, received_at)
       SELECT $1 || '-' || n, $2, jsonb_build_object('type', $2::text, 'data', '{}'::jsonb), 'failed', now() - interval '1 hour'
       FROM generate_series(1, 10001) AS n`,
      [uniqueId('bulk'), type],
    );
    const unconfirmed = await ops.post('/admin/events/replay', { type });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.message).toMatch(/^10001 events match this filter, more than 10000: .*"confirm": 10001$/);
    const wrongCount = await ops.post('/admin/events/replay', { type, confirm: 10000 });
    expect(wrongCount.status).toBe(409);
    expect(wrongCount.body.message).toMatch(/confirm was 10000: the count has changed/);
    expect((await ops.post('/admin/events/replay', { type, dryRun: true })).body).toEqual({
      replayId: null,
      matched: 10001,
      dryRun: true,
    });

    const confirmed = await ops.post('/admin/events/replay', { type, confirm: 10001 });
    expect(confirmed.status).toBe(202);
    expect(confirmed.body).toMatchObject({
      matched: 10001,
      dryRun: false,
      replayId: expect.stringMatching(/^replay-/),
    });
    await t.app.get(EventReplayService).idle();
    const [latest] = await auditEntries('action=events.replay-by-filter', 1);
    expect(latest).toMatchObject({ status: 202, rows: 10001, params: { body: { type, confirm: 10001 } } });
    await t.db.query('DELETE FROM webhook_events WHERE type = $1', [type]);
  });
});
