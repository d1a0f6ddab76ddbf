import { randomUUID } from 'node:crypto';
import type { ServiceProcess } from '../support/spawn-service.js';
import { waitFor } from '../support/test-app.js';
import { subscriptionCreated } from '../chaos/infra/subscription-events.js';
import { freshDatabase, type FreshDatabase } from './support/fresh-database.js';
import { installEffectLog } from '../chaos/infra/effect-log.js';
import { holdSubscriptionLock, queuePrefix, startService } from './support/service-process.js';

/**
 * kill -9 of a worker in the middle of a (transactional) handler: BullMQ's stalled-job recovery
 * hands the job to another worker, which takes the claimed delivery back under the job id and
 * runs the handler again. The interrupted transaction was rolled back, so the effect is there once.
 */
describe('a worker killed mid-handler', () => {
  let database: FreshDatabase;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await freshDatabase('crash');
  });
  afterAll(async () => {
    for (const service of services) service.child.kill('SIGKILL');
    await Promise.all(services.map((service) => service.exited));
    await database?.drop();
  });

  it('is run again by another worker, and its effect commits exactly once', async () => {
    const prefix = queuePrefix('crash');
    const first = await startService(database.url, prefix, { APP_ROLE: 'all' });
    services.push(first.service);
    await installEffectLog(database.db);

    const subscriptionId = `sub_${randomUUID()}`;
    const lock = await holdSubscriptionLock(database.db, subscriptionId);
    const response = await fetch(`${first.url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(subscriptionCreated(`evt_${randomUUID()}`, subscriptionId)),
    });
    expect(response.status).toBe(200);
    const eventId = ((await response.json()) as { id: string }).id;
    await waitFor(() => lock.someoneWaits(), 10_000, 'the handler to be mid-transaction');

    first.service.child.kill('SIGKILL');
    await first.service.exited;
    const second = await startService(database.url, prefix, { APP_ROLE: 'worker' });
    services.push(second.service);
    await lock.release();

    const recoveredWithin = Date.now();
    await waitFor(
      async () =>
        (await database.db.query(`SELECT status FROM webhook_events WHERE id = $1`, [eventId])).rows[0].status ===
        'processed',
      40_000,
      'the event to be processed by the second worker',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- second worker ---\n${second.service.output()}`);
    });
    // Stalled-job recovery, not the relay's one-minute fallback.
    expect(Date.now() - recoveredWithin).toBeLessThan(30_000);
    const { rows: deliveries } = await database.db.query(
      `SELECT handler, status, attempts FROM webhook_deliveries WHERE event_id = $1`,
      [eventId],
    );
    expect(deliveries).toEqual([{ handler: 'SubscriptionCreatedHandler', status: 'succeeded', attempts: 2 }]);
    const { rows: effects } = await database.db.query(`SELECT tbl FROM effect_log WHERE event_id = $1`, [eventId]);
    expect(effects).toEqual([{ tbl: 'subscriptions' }]);
    const { rows: subscriptions } = await database.db.query(
      `SELECT created_by_event FROM subscriptions WHERE subscription_id = $1`,
      [subscriptionId],
    );
    expect(subscriptions).toEqual([{ created_by_event: eventId }]);
  }, 90_000);
});
