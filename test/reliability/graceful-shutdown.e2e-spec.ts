import { randomUUID } from 'node:crypto';
import { countEvents, deliveriesOf } from '../support/inbox-rows.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import { canConnect } from '../support/infra/ports.js';
import { startService, waitForOutput, type ServiceProcess } from '../support/infra/service-process.js';
import { subscriptionCreated } from '../support/provider-events.js';
import { startSlowPost } from '../support/raw-http.js';
import { waitFor } from '../support/test-app.js';
import { holdSubscriptionLock } from './support/subscription-lock.js';

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
    await service?.kill9();
    await database?.drop();
  });

  const post = (url: string, body: unknown) =>
    fetch(`${url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('drains the in-flight request and the running handler, refuses new requests, and exits 0', async () => {
    const started = await startService({
      DATABASE_URL: database.url,
      APP_ROLE: 'all',
      SHUTDOWN_GRACE_MS: '10000',
    });
    service = started.service;
    let exitCode: number | null | undefined;
    void service.exited.then((code) => (exitCode = code));

    // A handler mid-transaction…
    const subscriptionId = `sub_${randomUUID()}`;
    const lock = await holdSubscriptionLock(database.db, subscriptionId);
    const running = await post(started.url, subscriptionCreated(subscriptionId));
    const runningId = ((await running.json()) as { id: string }).id;
    await waitFor(() => lock.someoneWaits(), 10_000, 'the handler to be mid-transaction');
    // …and a request whose body is still arriving.
    const inFlightEvent = subscriptionCreated(`sub_${randomUUID()}`);
    const inFlight = startSlowPost(started.url, JSON.stringify(inFlightEvent));
    await inFlight.started();

    service.child.kill('SIGTERM');
    await waitForOutput(service, /SIGTERM received: stopping/);
    const lateEvent = subscriptionCreated(`sub_${randomUUID()}`);
    const late = await post(started.url, lateEvent);
    expect(late.status).toBe(503);

    await lock.release(); // the handler finishes well within the grace period
    // Everything but the in-flight request is done: the handler's delivery succeeded, and the server
    // stopped listening (which the shutdown does once the workers have closed). Only that request
    // keeps the process now: had the shutdown not waited for it, the process would be gone.
    const port = Number(new URL(started.url).port);
    await waitFor(
      async () =>
        (await deliveriesOf(database.db, runningId, ['status']))[0]?.status === 'succeeded' &&
        !(await canConnect(port)),
      10_000,
      'the handler to finish and the server to stop listening',
    );
    expect(exitCode).toBeUndefined(); // still waiting for the request it had started
    inFlight.finish();
    const answer = await inFlight.answer;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ received: true, duplicate: false });

    expect(await service.exited).toBe(0);
    expect(await countEvents(database.db, { externalIds: [inFlightEvent.id] })).toBe(1);
    // The example's timeline handler takes no subscription lock: it ran beside the held one.
    expect(await deliveriesOf(database.db, runningId)).toEqual([
      { handler: 'SubscriptionCreatedHandler', status: 'succeeded', attempts: 1 },
      { handler: 'SubscriptionTimelineHandler', status: 'succeeded', attempts: 1 },
    ]);
    expect(await countEvents(database.db, { externalIds: [lateEvent.id] })).toBe(0);
  }, 60_000);
});
