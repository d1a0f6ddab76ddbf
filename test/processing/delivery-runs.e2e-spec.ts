import { randomUUID } from 'node:crypto';
import { HandlerDeliveryProcessor } from '../../src/processing/delivery/handler-delivery.processor.js';
import { LEASE_RENEWAL_MS } from '../../src/processing/delivery/delivery-leases.js';
import { DeliveryRun, RunInterruptedError } from '../../src/processing/delivery/delivery-run.js';
import {
  WebhookHandlerRegistry,
  type RegisteredHandler,
} from '../../src/processing/discovery/webhook-handler.registry.js';
import { WebhookDispatchProcessor } from '../../src/processing/dispatch/webhook-dispatch.processor.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { gate, ProcessingTestHandlersModule } from './support/processing-handlers.js';

/**
 * Runs of a job, driven directly (an api-only app: no worker takes the jobs) against real
 * Postgres: when an attempt is counted, what a run does after an abort, and what two runs of the
 * same job do to each other.
 */
describe('delivery runs', () => {
  let t: TestApp;
  let processor: HandlerDeliveryProcessor;
  let gated: RegisteredHandler;
  let parallel: RegisteredHandler;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [ProcessingTestHandlersModule], env: { APP_ROLE: 'api' } });
    processor = t.app.get(HandlerDeliveryProcessor);
    gated = t.app.get(WebhookHandlerRegistry).get('GatedHandler')!;
    parallel = t.app.get(WebhookHandlerRegistry).get('ParallelGatedHandler')!;
  });
  afterAll(async () => {
    // Leave no half-run deliveries behind for the relays of later suites sharing the database.
    await t?.db.query(`DELETE FROM webhook_events WHERE type IN ('test.gated', 'test.gated_parallel')`);
    await t?.close();
  });

  /** Committed gated events with their deliveries planned; returns [provider id, inbox id] pairs. */
  const plannedEvents = async (count: number, type = 'test.gated') => {
    const events: { externalId: string; id: string }[] = [];
    for (let i = 0; i < count; i++) {
      const externalId = `evt_${randomUUID()}`;
      const { status, body } = await t.post({ id: externalId, type, data: {} });
      expect(status).toBe(200);
      events.push({ externalId, id: body.id });
    }
    await t.app.get(WebhookDispatchProcessor).process(events.map((e) => e.id));
    return events;
  };

  const deliveryOf = async (eventId: string) =>
    (
      await t.db.query<{ status: string; attempts: number; claimed_by: string | null }>(
        'SELECT status, attempts, claimed_by FROM webhook_deliveries WHERE event_id = $1',
        [eventId],
      )
    ).rows[0];

  it('counts an attempt when that delivery starts, not when its job does', async () => {
    const [first, second, third] = await plannedEvents(3);
    const run = processor.process(
      gated,
      [first.id, second.id, third.id],
      new DeliveryRun('counts', new AbortController().signal),
    );
    await gate(first.externalId).entered;
    // GatedHandler runs one delivery at a time: the other two have not started, so a crash now
    // would cost one attempt, the running one.
    expect(await deliveryOf(first.id)).toMatchObject({ status: 'running', attempts: 1 });
    expect(await deliveryOf(second.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await deliveryOf(third.id)).toMatchObject({ status: 'pending', attempts: 0 });
    for (const event of [first, second, third]) gate(event.externalId).release();
    await run;
    for (const event of [first, second, third]) {
      expect(await deliveryOf(event.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    }
  });

  it('starts no handler after the shutdown abort, and counts no attempt for what it did not start', async () => {
    const [first, second, third] = await plannedEvents(3);
    const shutdown = new AbortController();
    const run = processor.process(gated, [first.id, second.id, third.id], new DeliveryRun('aborted', shutdown.signal));
    await gate(first.externalId).entered;
    shutdown.abort();
    await expect(run).rejects.toThrow(RunInterruptedError);
    expect(gate(second.externalId).runs).toBe(0);
    expect(gate(third.externalId).runs).toBe(0);
    expect(await deliveryOf(second.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await deliveryOf(third.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // The aborted one failed its attempt and waits for its retry.
    expect(await deliveryOf(first.id)).toMatchObject({ status: 'retrying', attempts: 1 });
    gate(first.externalId).release();
  });

  it('gives each run of a job its own claim: a re-run does not take over what a live run holds', async () => {
    const [event] = await plannedEvents(1, 'test.gated_parallel');
    const live = new DeliveryRun('same-job', new AbortController().signal);
    const first = processor.process(parallel, [event.id], live);
    await gate(event.externalId).entered;
    // BullMQ's stalled-job recovery runs the same job again while the first run is still alive.
    const rerun = new DeliveryRun('same-job', new AbortController().signal);
    await processor.process(parallel, [event.id], rerun);
    expect(gate(event.externalId).runs).toBe(1);
    expect(await deliveryOf(event.id)).toMatchObject({ status: 'running', attempts: 1, claimed_by: live.token });
    gate(event.externalId).release();
    await first;
    expect(await deliveryOf(event.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('stops a run that lost a delivery before its next one, and keeps the late result as history only', async () => {
    const [first, second] = await plannedEvents(2);
    const run = new DeliveryRun('loses-lease', new AbortController().signal);
    const running = processor.process(gated, [first.id, second.id], run);
    await gate(first.externalId).entered;
    // Another run takes the first delivery over (as one does once a lease has passed).
    await t.db.query(
      `UPDATE webhook_deliveries SET claimed_by = 'another-run', attempts = attempts + 1 WHERE event_id = $1`,
      [first.id],
    );
    // The next lease renewal finds it gone: the run is lost.
    await waitFor(async () => run.stopReason !== undefined, LEASE_RENEWAL_MS * 3, 'the renewal to notice');
    gate(first.externalId).release();
    await expect(running).rejects.toThrow(RunInterruptedError);
    expect(gate(second.externalId).runs).toBe(0);
    expect(await deliveryOf(second.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // The late success did not become the outcome of a delivery another run holds.
    expect(await deliveryOf(first.id)).toMatchObject({ status: 'running', attempts: 2, claimed_by: 'another-run' });
    const { rows } = await t.db.query(
      `SELECT a.attempt, a.outcome, a.taken_over FROM webhook_delivery_attempts a
       JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1`,
      [first.id],
    );
    expect(rows).toEqual([{ attempt: 1, outcome: 'succeeded', taken_over: true }]);
  }, 30_000);
});
