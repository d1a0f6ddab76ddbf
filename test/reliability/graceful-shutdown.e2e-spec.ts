import { randomUUID } from 'node:crypto';
import type { ServiceProcess } from '../support/spawn-service.js';
import { waitFor } from '../support/test-app.js';
import { sleep } from '../chaos/infra/ports.js';
import { subscriptionCreated } from '../chaos/infra/subscription-events.js';
import { freshDatabase, type FreshDatabase } from './support/fresh-database.js';
import { holdSubscriptionLock, queuePrefix, startService, startSlowPost } from './support/service-process.js';

/**
 * SIGTERM during a deploy: new requests get 503 (the provider retries them elsewhere), a request
 * already started is answered 200 and committed, a running handler finishes within
 * SHUTDOWN_GRACE_MS, and the process exits 0.
 */
describe('SIGTERM', () => {
  let database: FreshDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    database = await freshDatabase('shutdown');
  });
  afterAll(async () => {
    service?.child.kill('SIGKILL');
    await service?.exited;
    await database?.drop();
  });

  const post = (url: string, body: unknown) =>
    fetch(`${url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('drains the in-flight request and the running handler, refuses new requests, and exits 0', async () => {
    const started = await startService(database.url, queuePrefix('shutdown'), {
      APP_ROLE: 'all',
      SHUTDOWN_GRACE_MS: '10000',
    });
    service = started.service;
    let exitCode: number | null | undefined;
    void service.exited.then((code) => (exitCode = code));

    // A handler mid-transaction…
    const subscriptionId = `sub_${randomUUID()}`;
    const lock = await holdSubscriptionLock(database.db, subscriptionId);
    const running = await post(started.url, subscriptionCreated(`evt_${randomUUID()}`, subscriptionId));
    const runningId = ((await running.json()) as { id: string }).id;
    await waitFor(() => lock.someoneWaits(), 10_000, 'the handler to be mid-transaction');
    // …and a request whose body is still arriving.
    const inFlightId = `evt_${randomUUID()}`;
    const inFlight = startSlowPost(started.url, JSON.stringify(subscriptionCreated(inFlightId, `sub_${randomUUID()}`)));
    await sleep(300);

    service.child.kill('SIGTERM');
    await sleep(300);
    const late = await post(started.url, subscriptionCreated(`evt_late_${randomUUID()}`, `sub_${randomUUID()}`));
    expect(late.status).toBe(503);

    await lock.release(); // the handler finishes well within the grace period
    await sleep(1500);
    expect(exitCode).toBeUndefined(); // still waiting for the request it had started
    inFlight.finish();
    const answer = await inFlight.answer;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ received: true, duplicate: false });

    expect(await service.exited).toBe(0);
    const { rows: stored } = await database.db.query(`SELECT external_id FROM webhook_events WHERE external_id = $1`, [
      inFlightId,
    ]);
    expect(stored).toHaveLength(1);
    const { rows: deliveries } = await database.db.query(
      `SELECT status, attempts FROM webhook_deliveries WHERE event_id = $1`,
      [runningId],
    );
    expect(deliveries).toEqual([{ status: 'succeeded', attempts: 1 }]);
    const { rows: late503 } = await database.db.query(
      `SELECT count(*)::int AS n FROM webhook_events WHERE external_id LIKE 'evt_late_%'`,
    );
    expect(late503[0].n).toBe(0);
  }, 60_000);
});
