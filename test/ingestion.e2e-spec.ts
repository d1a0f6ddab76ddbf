import { createHash } from 'node:crypto';
import pg from 'pg';
import { blockedEventWrites, inboxRowCounts } from './support/inbox-rows.js';
import type { TestApp } from './support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus, untilQueuesIdle, waitFor } from './support/test-app.js';
import { runsOf, TestHandlersModule } from './support/test-handlers.js';

describe('POST /webhooks (real Postgres + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [TestHandlersModule] });
  });
  afterAll(async () => t?.close());

  const rowsFor = async (externalId: string) =>
    (await t.db.query('SELECT id, type, payload, headers FROM webhook_events WHERE external_id = $1', [externalId]))
      .rows;

  it('answers 200 with the inbox id, and the row is already committed when the answer arrives', async () => {
    const externalId = uniqueId();
    const envelope = {
      id: externalId,
      type: 'test.ok',
      data: { n: 1 },
      created_at: '2026-11-30T10:00:00Z',
      extra: 'kept',
    };
    const { status, body } = await t.post(envelope, { 'user-agent': 'provider/1.0' });
    expect(status).toBe(200);
    expect(body).toEqual({ received: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
    // Read through a different connection: visible means committed.
    const rows = await rowsFor(externalId);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(body.id);
    expect(rows[0].payload).toEqual(envelope);
    expect(rows[0].headers).toMatchObject({ 'user-agent': 'provider/1.0', 'remote-address': '127.0.0.1' });
  });

  it('does not answer before the commit: while the table is locked the request waits, then succeeds', async () => {
    const locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE');
      const externalId = uniqueId();
      let answered = false;
      const request = t.post({ id: externalId, type: 'test.ok', data: {} }).then((response) => {
        answered = true;
        return response;
      });
      // The service got as far as its INSERT, which now waits for the lock: had it answered before
      // committing, the answer would have come by now.
      await waitFor(async () => (await blockedEventWrites(t.db)).length > 0, 10_000, 'the INSERT to wait on the lock');
      expect(answered).toBe(false);
      await locker.query('COMMIT');
      const { status, body } = await request;
      expect(status).toBe(200);
      expect((await rowsFor(externalId))[0].id).toBe(body.id);
    } finally {
      await locker.end();
    }
  });

  it('answers 503 with Retry-After, never 2xx, when the event cannot be committed', async () => {
    const externalId = uniqueId();
    const locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    try {
      // Make the commit fail for this one event: a constraint that refuses its id.
      await locker.query(
        `ALTER TABLE webhook_events ADD CONSTRAINT ck_test_refuse CHECK (external_id <> '${externalId}') NOT VALID`,
      );
      const { status, headers, body } = await t.post({ id: externalId, type: 'test.ok', data: {} });
      expect(status).toBe(503);
      expect(headers.get('retry-after')).toBe('5');
      expect(body).toMatchObject({ statusCode: 503 });
      expect(await rowsFor(externalId)).toHaveLength(0);
    } finally {
      await locker.query('ALTER TABLE webhook_events DROP CONSTRAINT IF EXISTS ck_test_refuse');
      await locker.end();
    }
  });

  it('answers a sequential repeat as a duplicate with the original id, storing and running nothing new', async () => {
    const externalId = uniqueId();
    const first = await t.post({ id: externalId, type: 'test.ok', data: { v: 1 } });
    await waitFor(async () => runsOf('OkHandler', externalId) === 1, 10_000, 'first run');
    const second = await t.post({ id: externalId, type: 'test.ok', data: { v: 2 } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect(await rowsFor(externalId)).toHaveLength(1);
    // An event posted after the repeat has been handled, and no job is left: a second run of the
    // repeat would have happened by now.
    const later = await t.post({ id: uniqueId(), type: 'test.ok', data: {} });
    await untilEventStatus(t.db, later.body.id, 'processed');
    await untilQueuesIdle(t.app);
    expect(runsOf('OkHandler', externalId)).toBe(1);
  });

  it('stores one row and runs the handler once when 25 copies arrive at the same moment', async () => {
    const externalId = uniqueId();
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => t.post({ id: externalId, type: 'test.ok', data: {} })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await rowsFor(externalId)).toHaveLength(1);
    const [eventId] = ids;
    await untilEventStatus(t.db, eventId, 'processed');
    expect(runsOf('OkHandler', externalId)).toBe(1);
  });

  it('uses the webhook-id header as identity when the envelope has no id', async () => {
    const headerId = uniqueId('msg');
    const first = await t.post({ type: 'test.ok', data: { a: 1 } }, { 'webhook-id': headerId });
    const second = await t.post({ type: 'test.ok', data: { a: 2 } }, { 'webhook-id': headerId });
    expect(second.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect(await rowsFor(headerId)).toHaveLength(1);
  });

  it('falls back to the SHA-256 of the exact body when there is no id at all', async () => {
    const raw = JSON.stringify({ type: 'test.ok', data: { unique: uniqueId() } });
    const first = await t.post(raw);
    const again = await t.post(raw);
    const different = await t.post(raw.replace('}}', ' }}'));
    expect(again.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect(different.body.duplicate).toBe(false);
    const hash = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    expect((await rowsFor(hash))[0].id).toBe(first.body.id);
  });

  it('refuses a body that is not the envelope with 400 naming each field, and stores nothing', async () => {
    const before = (await inboxRowCounts(t.db)).events;
    const { status, body } = await t.post({ id: 5, data: [], created_at: 'yesterday' });
    expect(status).toBe(400);
    const text = JSON.stringify(body.message);
    for (const field of ['type', 'data', 'id', 'created_at']) expect(text).toContain(field);
    expect((await inboxRowCounts(t.db)).events).toBe(before);
  });
});
