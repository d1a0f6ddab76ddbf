import { EventTypePolicy, SUBSCRIPTION_CACHE_TTL_MS } from '../../src/processing/event-types/event-type-policy.js';
import { ADMIN_ENV, ADMIN_KEY, adminClient } from '../support/admin-client.js';
import { AdminTestHandlersModule } from '../support/admin-test-handlers.js';
import type { TestApp } from '../support/test-app.js';
import { eventStatus, startTestApp, uniqueId, waitFor } from '../support/test-app.js';

describe('admin: subscriptions, on two replicas sharing the database', () => {
  let a: TestApp;
  let b: TestApp;
  let adminA: ReturnType<typeof adminClient>;
  let adminB: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    a = await startTestApp({ extraImports: [AdminTestHandlersModule], env: ADMIN_ENV });
    b = await startTestApp({ extraImports: [AdminTestHandlersModule], env: ADMIN_ENV });
    adminA = adminClient(a);
    adminB = adminClient(b);
  });
  afterAll(async () => {
    await adminA?.put('/admin/subscriptions', { mode: 'all', reason: 'test cleanup' });
    await Promise.all([a?.close(), b?.close()]);
  });

  /** Posts one event and waits until it is finished: processed or ignored. */
  async function outcome(t: TestApp, type: string): Promise<string> {
    const { status, body } = await t.post({ id: uniqueId(), type, data: { order_id: 'o-1', quantity: 1 } });
    expect(status).toBe(200); // acknowledged whatever the list says
    const finished = await waitFor(
      async () => {
        const current = await eventStatus(t.db, body.id);
        return current && ['processed', 'ignored', 'failed'].includes(current) ? current : undefined;
      },
      15_000,
      `event ${body.id} to finish`,
    );
    return finished!; // waitFor returns only once it is set
  }

  it('processes every handled type until a list is set', async () => {
    const { status, body } = await adminA.get('/admin/subscriptions');
    expect(status).toBe(200);
    expect(body.mode).toBe('all');
    expect(body.effectiveWithinSeconds).toBe(SUBSCRIPTION_CACHE_TTL_MS / 1000);
    expect(body.types).toEqual(
      expect.arrayContaining([
        { type: 'admin.switchable', handlers: ['SwitchableHandler', 'SteadyHandler'] },
        { type: 'admin.order_placed', handlers: ['OrderPlacedHandler'] },
      ]),
    );
    // Both replicas have loaded (and cached) the list.
    expect(await outcome(a, 'admin.switchable')).toBe('processed');
    expect(await outcome(b, 'admin.switchable')).toBe('processed');
  });

  it('stores a type outside the list as ignored, on every replica within the cache TTL, and records who did it', async () => {
    const put = await adminA.put('/admin/subscriptions', {
      types: ['admin.order_placed', 'provider.not_handled_yet'],
      reason: 'customer disabled switchable events',
      actor: 'alice',
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      mode: 'list',
      changed: true,
      types: [
        { type: 'admin.order_placed', handlers: ['OrderPlacedHandler'] },
        { type: 'provider.not_handled_yet', handlers: [] },
      ],
      reason: 'customer disabled switchable events',
    });
    expect(put.body.changedBy).toMatch(/^alice \(key-[0-9a-f]{12} via bearer, 127\.0\.0\.1\)$/);
    expect(put.body.changedBy).not.toContain(ADMIN_KEY);
    const version = put.body.version;

    // The replica that took the change applies it at once.
    expect(await outcome(a, 'admin.switchable')).toBe('ignored');
    expect(await outcome(a, 'admin.order_placed')).toBe('processed');
    // The other one within the TTL: the list its dispatch path applies is the new version.
    await waitFor(
      async () => (await b.app.get(EventTypePolicy).current()).version === version,
      SUBSCRIPTION_CACHE_TTL_MS + 100,
      'replica b to apply the new list',
    );
    expect(await outcome(b, 'admin.switchable')).toBe('ignored');
    expect(await outcome(b, 'admin.order_placed')).toBe('processed');
    expect((await adminB.get('/admin/subscriptions')).body).toMatchObject({ version, mode: 'list' });

    const types = (await adminA.get('/admin/event-types')).body as {
      type: string;
      subscribed: boolean;
      processed: boolean;
    }[];
    expect(types.find((t) => t.type === 'admin.switchable')).toMatchObject({ subscribed: false, processed: false });
    expect(types.find((t) => t.type === 'admin.order_placed')).toMatchObject({ subscribed: true, processed: true });
    expect(types.find((t) => t.type === 'provider.not_handled_yet')).toMatchObject({
      subscribed: true,
      processed: false,
      total: 0,
    });
  });

  it('writes no new version when the same list is saved again, and refuses a stale expectedVersion with 409', async () => {
    const current = (await adminA.get('/admin/subscriptions')).body;
    const same = await adminA.put('/admin/subscriptions', {
      types: ['provider.not_handled_yet', 'admin.order_placed', 'admin.order_placed'],
    });
    expect(same.body).toMatchObject({ changed: false, version: current.version });

    const stale = await adminB.put('/admin/subscriptions', {
      types: ['admin.switchable'],
      expectedVersion: current.version - 1,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain(`at version ${current.version}`);
    expect((await adminA.get('/admin/subscriptions')).body.version).toBe(current.version);

    const fresh = await adminB.put('/admin/subscriptions', {
      types: ['admin.switchable', 'admin.order_placed'],
      expectedVersion: current.version,
      actor: 'bob',
    });
    expect(fresh.body).toMatchObject({ changed: true, version: current.version + 1 });
  });

  it('keeps the audit trail: who changed what and when, newest first', async () => {
    const { status, body } = await adminA.get('/admin/subscriptions/history?limit=2');
    expect(status).toBe(200);
    expect(body).toHaveLength(2);
    const [latest, previous] = body;
    expect(latest).toMatchObject({
      mode: 'list',
      types: ['admin.order_placed', 'admin.switchable'],
      added: ['admin.switchable'],
      removed: ['provider.not_handled_yet'],
    });
    expect(latest.changedBy).toMatch(/^bob \(key-[0-9a-f]{12} via bearer/);
    expect(previous).toMatchObject({
      added: ['admin.order_placed', 'provider.not_handled_yet'],
      reason: 'customer disabled switchable events',
    });
    expect(previous.changedBy).toMatch(/^alice /);
    expect(Date.parse(latest.changedAt)).toBeGreaterThanOrEqual(Date.parse(previous.changedAt));
    const older = await adminA.get(`/admin/subscriptions/history?beforeVersion=${latest.version}&limit=1`);
    expect(older.body.map((v: { version: number }) => v.version)).toEqual([previous.version]);
  });

  it.each([
    ['types with mode "all"', { mode: 'all', types: ['x'] }, 'types must be empty or absent'],
    ['no types with mode "list"', { mode: 'list' }, 'types is required'],
    ['a type with bad characters', { types: ['has space'] }, 'each type must contain only'],
    ['an unknown mode', { mode: 'some', types: [] }, 'mode must be one of the following values'],
    ['an unknown field', { types: [], colour: 'red' }, 'property colour should not exist'],
  ])('refuses %s with a 400 and changes nothing', async (_what, body, message) => {
    const before = (await adminA.get('/admin/subscriptions')).body.version;
    const { status, body: answer } = await adminA.put('/admin/subscriptions', body);
    expect(status).toBe(400);
    expect(JSON.stringify(answer.message)).toContain(message);
    expect((await adminA.get('/admin/subscriptions')).body.version).toBe(before);
  });

  it('goes back to processing every handled type with mode "all"', async () => {
    const { body } = await adminA.put('/admin/subscriptions', { mode: 'all', reason: 'back to everything' });
    expect(body).toMatchObject({ mode: 'all', changed: true });
    expect(await outcome(a, 'admin.switchable')).toBe('processed');
  });
});
