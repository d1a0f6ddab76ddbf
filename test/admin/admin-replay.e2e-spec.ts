import { EventReplayService } from '../../src/admin/replay/event-replay.service.js';
import { ADMIN_ENV, adminClient } from '../support/admin-client.js';
import { adminRunsOf, AdminTestHandlersModule, failing } from '../support/admin-test-handlers.js';
import { attemptsOf, deliveriesOf } from '../support/inbox-rows.js';
import type { TestApp } from '../support/test-app.js';
import {
  eventStatus,
  startTestApp,
  uniqueId,
  untilEventStatus,
  untilQueuesIdle,
  waitFor,
} from '../support/test-app.js';

describe('admin: replay (real Postgres + Redis)', () => {
  let t: TestApp;
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [AdminTestHandlersModule], env: ADMIN_ENV });
    admin = adminClient(t);
  });
  afterAll(async () => t?.close());

  const statusOf = (id: string) => eventStatus(t.db, id);
  const until = (id: string, status: string) => untilEventStatus(t.db, id, status);
  const deliveries = (id: string) => deliveriesOf(t.db, id, ['handler', 'status', 'attempts', 'max_attempts']);

  /** An admin.switchable event whose SwitchableHandler delivery is dead (2 failed attempts). */
  async function failedEvent(): Promise<{ id: string; externalId: string }> {
    const externalId = uniqueId();
    failing.add(externalId);
    const { body } = await t.post({ id: externalId, type: 'admin.switchable', data: {} });
    await until(body.id, 'failed');
    return { id: body.id, externalId };
  }

  it('re-runs only the failed delivery, keeps its attempt count and gives it a fresh budget', async () => {
    const event = await failedEvent();
    failing.delete(event.externalId); // the bug is fixed

    const { status, body } = await admin.post(`/admin/events/${event.id}/replay`);
    expect(status).toBe(200);
    expect(body).toEqual({
      eventId: event.id,
      replayed: [{ handler: 'SwitchableHandler', deliveryId: expect.any(String), previousStatus: 'dead' }],
      skipped: [{ handler: 'SteadyHandler', reason: 'succeeded; pass all=true to run it again' }],
      queued: true,
    });
    await until(event.id, 'processed');
    expect(await deliveries(event.id)).toEqual([
      { handler: 'SteadyHandler', status: 'succeeded', attempts: 1, max_attempts: 5 },
      { handler: 'SwitchableHandler', status: 'succeeded', attempts: 3, max_attempts: 4 },
    ]);
    expect(adminRunsOf('SwitchableHandler', event.externalId)).toBe(3);
    expect(adminRunsOf('SteadyHandler', event.externalId)).toBe(1);
    expect(await attemptsOf(t.db, event.id, { handler: 'SwitchableHandler' })).toEqual([
      { attempt: 1, outcome: 'failed' },
      { attempt: 2, outcome: 'failed' },
      { attempt: 3, outcome: 'succeeded' },
    ]);
  });

  it('is harmless when sent twice in a row: the second finds the delivery in progress', async () => {
    const event = await failedEvent();
    failing.delete(event.externalId);
    const [first, second] = [
      await admin.post(`/admin/events/${event.id}/replay`),
      await admin.post(`/admin/events/${event.id}/replay`),
    ];
    expect(first.body.replayed).toHaveLength(1);
    expect(second.status).toBe(200);
    // Either still pending/running (skipped as in progress) or already done (succeeded, not re-run).
    expect(second.body.replayed).toEqual([]);
    await until(event.id, 'processed');
    expect(adminRunsOf('SwitchableHandler', event.externalId)).toBe(3);
    // And once it is done, replaying again without all=true does nothing.
    const third = await admin.post(`/admin/events/${event.id}/replay`);
    expect(third.body.replayed).toEqual([]);
    expect(third.body.skipped).toEqual([
      { handler: 'SteadyHandler', reason: 'succeeded; pass all=true to run it again' },
      { handler: 'SwitchableHandler', reason: 'succeeded; pass all=true to run it again' },
    ]);
    // A later event has been through the same handlers, and no job is left: a run the third replay
    // had set off would have happened by now.
    const later = await t.post({ id: uniqueId(), type: 'admin.switchable', data: {} });
    await until(later.body.id, 'processed');
    await untilQueuesIdle(t.app);
    expect(adminRunsOf('SwitchableHandler', event.externalId)).toBe(3);
  });

  it('re-runs every delivery with ?all=true, and one handler with ?handler=Name', async () => {
    const externalId = uniqueId();
    const { body: ack } = await t.post({ id: externalId, type: 'admin.switchable', data: {} });
    await until(ack.id, 'processed');

    const all = await admin.post(`/admin/events/${ack.id}/replay?all=true`);
    expect(
      all.body.replayed.map((r: { handler: string; previousStatus: string }) => [r.handler, r.previousStatus]),
    ).toEqual([
      ['SteadyHandler', 'succeeded'],
      ['SwitchableHandler', 'succeeded'],
    ]);
    await waitFor(
      async () => adminRunsOf('SteadyHandler', externalId) === 2 && (await statusOf(ack.id)) === 'processed',
    );
    expect(adminRunsOf('SwitchableHandler', externalId)).toBe(2);

    const one = await admin.post(`/admin/events/${ack.id}/replay?handler=SteadyHandler`);
    expect(one.body.replayed).toEqual([
      { handler: 'SteadyHandler', deliveryId: expect.any(String), previousStatus: 'succeeded' },
    ]);
    expect(one.body.skipped).toEqual([]);
    await waitFor(
      async () => adminRunsOf('SteadyHandler', externalId) === 3 && (await statusOf(ack.id)) === 'processed',
    );
    expect(adminRunsOf('SwitchableHandler', externalId)).toBe(2);
  });

  it('creates the deliveries of an ignored event with ?all=true', async () => {
    await admin.put('/admin/subscriptions', { types: ['admin.order_placed'], reason: 'replay test' });
    const externalId = uniqueId();
    try {
      const { body: ack } = await t.post({ id: externalId, type: 'admin.switchable', data: {} });
      await until(ack.id, 'ignored');
      expect(await deliveries(ack.id)).toEqual([]);
      const plain = await admin.post(`/admin/events/${ack.id}/replay`);
      expect(plain.body.replayed).toEqual([]);

      const { body } = await admin.post(`/admin/events/${ack.id}/replay?all=true`);
      expect(body.replayed.map((r: { previousStatus: string }) => r.previousStatus)).toEqual(['missing', 'missing']);
      await until(ack.id, 'processed');
      expect(adminRunsOf('SteadyHandler', externalId)).toBe(1);
    } finally {
      await admin.put('/admin/subscriptions', { mode: 'all', reason: 'replay test done' });
    }
  });

  it('answers 400 for an unknown handler or a bad flag, and 404 for an unknown event', async () => {
    const event = await failedEvent();
    const unknown = await admin.post(`/admin/events/${event.id}/replay?handler=NoSuchHandler`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message[0]).toContain('handler NoSuchHandler is not registered in this deployment');
    expect((await admin.post(`/admin/events/${event.id}/replay?all=yes`)).status).toBe(400);
    expect((await admin.post('/admin/events/00000000-0000-4000-8000-000000000000/replay')).status).toBe(404);
    expect(await statusOf(event.id)).toBe('failed'); // nothing changed
  });

  it('replays every failed event matching a filter in the background and answers the count', async () => {
    // The database's clock: only the events posted from now on are in range (others, left failed
    // by earlier tests, are older).
    const from = ((await t.db.query('SELECT now() AS now')).rows[0].now as Date).toISOString();
    const externalIds = [uniqueId(), uniqueId(), uniqueId()];
    const events = [];
    for (const externalId of externalIds) {
      failing.add(externalId);
      const { body } = await t.post({ id: externalId, type: 'admin.switchable', data: {} });
      events.push(body.id as string);
    }
    for (const id of events) await until(id, 'failed');
    // A failed event outside the time range stays failed.
    const outside = await failedEvent();
    await t.db.query(`UPDATE webhook_events SET received_at = now() - interval '2 days' WHERE id = $1`, [outside.id]);
    for (const externalId of [...externalIds, outside.externalId]) failing.delete(externalId);

    const { status, body } = await admin.post('/admin/events/replay', {
      type: 'admin.switchable',
      status: 'failed',
      from,
      reason: 'switchable fixed',
    });
    expect(status).toBe(202);
    expect(body.replayId).toMatch(/^replay-/);
    expect(body.matched).toBe(3);
    await t.app.get(EventReplayService).idle();
    for (const id of events) await until(id, 'processed');
    expect(await statusOf(outside.id)).toBe('failed');

    // Again: nothing failed is left in the range, so nothing more runs.
    const again = await admin.post('/admin/events/replay', { type: 'admin.switchable', status: 'failed', from });
    expect(again.body.matched).toBe(0);
    for (const externalId of externalIds) expect(adminRunsOf('SwitchableHandler', externalId)).toBe(3);
  });

  it('refuses a filter replay of events still in flight or with unknown fields', async () => {
    expect((await admin.post('/admin/events/replay', { status: 'queued' })).status).toBe(400);
    expect((await admin.post('/admin/events/replay', { typo: 1 })).status).toBe(400);
    expect((await admin.post('/admin/events/replay', { handler: 'Nope' })).status).toBe(400);
  });
});
