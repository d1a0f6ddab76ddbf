import { randomUUID } from 'node:crypto';
import { deliveriesOf } from '../support/inbox-rows.js';
import { installEffectLog } from '../support/infra/effect-log.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import { startService, type ServiceProcess } from '../support/infra/service-process.js';
import { subscriptionCreated } from '../support/provider-events.js';
import { queuePrefix } from '../support/run-env.js';
import { untilEventStatus, waitFor } from '../support/test-app.js';
import { holdSubscriptionLock } from './support/subscription-lock.js';

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
    await Promise.all(services.map((service) => service.kill9()));
    await database?.drop();
  });

  it('is run again by another worker, and its effect commits exactly once', async () => {
    const prefix = queuePrefix('crash');
    const first = await startService({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, APP_ROLE: 'all' });
    services.push(first.service);
    await installEffectLog(database.db);

    const subscriptionId = `sub_${randomUUID()}`;
    const lock = await holdSubscriptionLock(database.db, subscriptionId);
    const response = await fetch(`${first.url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(subscriptionCreated(subscriptionId)),
    });
    expect(response.status).toBe(200);
    const eventId = ((await response.json()) as { id: string }).id;
    await waitFor(() => lock.someoneWaits(), 10_000, 'the handler to be mid-transaction');
    // The example's timeline handler takes no subscription lock: let it finish, so that the kill
    // interrupts only the handler this test is about.
    await waitFor(
      async () =>
        (await deliveriesOf(database.db, eventId)).some(
          (d) => d.handler === 'SubscriptionTimelineHandler' && d.status === 'succeeded',
        ),
      10_000,
      'the timeline handler to finish',
    );

    await first.service.kill9();
    const second = await startService({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, APP_ROLE: 'worker' });
    services.push(second.service);
    await lock.release();

    const recoveredWithin = Date.now();
    await untilEventStatus(database.db, eventId, 'processed', 40_000).catch((error: Error) => {
      throw new Error(`${error.message}\n--- second worker ---\n${second.service.output()}`);
    });
    // Stalled-job recovery, not the relay's one-minute fallback.
    expect(Date.now() - recoveredWithin).toBeLessThan(30_000);
    expect(await deliveriesOf(database.db, eventId)).toEqual([
      { handler: 'SubscriptionCreatedHandler', status: 'succeeded', attempts: 2 },
      { handler: 'SubscriptionTimelineHandler', status: 'succeeded', attempts: 1 },
    ]);
    const { rows: effects } = await database.db.query(`SELECT tbl FROM effect_log WHERE event_id = $1`, [eventId]);
    expect(effects).toEqual([{ tbl: 'subscriptions' }]);
    const { rows: subscriptions } = await database.db.query(
      `SELECT created_by_event FROM subscriptions WHERE subscription_id = $1`,
      [subscriptionId],
    );
    expect(subscriptions).toEqual([{ created_by_event: eventId }]);
  }, 90_000);
});
