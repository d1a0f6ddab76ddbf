import { attemptsOf, deliveriesOf } from './support/inbox-rows.js';
import type { TestApp } from './support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus } from './support/test-app.js';
import { runsOf, TestHandlersModule, TypedHandler } from './support/test-handlers.js';
import { TypedData } from './support/test-events.js';

describe('handlers (real Postgres + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [TestHandlersModule] });
  });
  afterAll(async () => t?.close());

  const deliveries = (id: string) => deliveriesOf(t.db, id, ['handler', 'status', 'attempts', 'last_error']);
  const until = (id: string, status: string) => untilEventStatus(t.db, id, status);

  it('discovers a handler declared in a test module and runs it once', async () => {
    const externalId = uniqueId();
    const { body } = await t.post({ id: externalId, type: 'test.ok', data: {} });
    await until(body.id, 'processed');
    expect(await deliveries(body.id)).toEqual([
      { handler: 'OkHandler', status: 'succeeded', attempts: 1, last_error: null },
    ]);
    expect(runsOf('OkHandler', externalId)).toBe(1);
  });

  it('retries a failing handler with backoff until it succeeds', async () => {
    const externalId = uniqueId();
    const { body } = await t.post({ id: externalId, type: 'test.flaky', data: { failures: 2 } });
    await until(body.id, 'processed');
    const [delivery] = await deliveries(body.id);
    expect(delivery).toMatchObject({ handler: 'FlakyHandler', status: 'succeeded', attempts: 3 });
    expect(runsOf('FlakyHandler', externalId)).toBe(3);
    expect(await attemptsOf(t.db, body.id, { columns: ['attempt', 'outcome', 'error_message'] })).toEqual([
      { attempt: 1, outcome: 'failed', error_message: 'flaky failure 1' },
      { attempt: 2, outcome: 'failed', error_message: 'flaky failure 2' },
      { attempt: 3, outcome: 'succeeded', error_message: null },
    ]);
  });

  it('marks the delivery dead and the event failed once the attempts are used up', async () => {
    const externalId = uniqueId();
    const { body } = await t.post({ id: externalId, type: 'test.broken', data: {} });
    await until(body.id, 'failed');
    expect(await deliveries(body.id)).toEqual([
      { handler: 'BrokenHandler', status: 'dead', attempts: 3, last_error: 'broken on purpose' },
    ]);
    expect(runsOf('BrokenHandler', externalId)).toBe(3);
  });

  it('retries only the failing handler, never re-running the one that succeeded', async () => {
    const externalId = uniqueId();
    const { body } = await t.post({ id: externalId, type: 'test.split', data: {} });
    await until(body.id, 'failed');
    expect(await deliveries(body.id)).toEqual([
      { handler: 'BrokenHandler', status: 'dead', attempts: 3, last_error: 'broken on purpose' },
      { handler: 'SplitPartnerHandler', status: 'succeeded', attempts: 1, last_error: null },
    ]);
    expect(runsOf('SplitPartnerHandler', externalId)).toBe(1);
    expect(runsOf('BrokenHandler', externalId)).toBe(3);
  });

  it('stores an event no handler subscribes to as ignored, with no delivery', async () => {
    const { status, body } = await t.post({ id: uniqueId(), type: 'nobody.listens', data: { a: 1 } });
    expect(status).toBe(200);
    await until(body.id, 'ignored');
    expect(await deliveries(body.id)).toEqual([]);
  });

  it('validates data against the handler DTO: a failure is permanent, with the messages recorded', async () => {
    const externalId = uniqueId();
    const { body } = await t.post({ id: externalId, type: 'test.typed', data: { name: 42, quantity: 0 } });
    await until(body.id, 'failed');
    const [delivery] = await deliveries(body.id);
    expect(delivery.status).toBe('dead');
    expect(delivery.attempts).toBe(1); // no retries although the handler allows 5
    expect(delivery.last_error).toContain('name must be a string');
    expect(delivery.last_error).toContain('quantity must not be less than 1');
    expect(runsOf('TypedHandler', externalId)).toBe(0);
  });

  it('passes valid data to the handler as a DTO instance, extra fields kept', async () => {
    const externalId = uniqueId();
    const { body } = await t.post({
      id: externalId,
      type: 'test.typed',
      data: { name: 'x', quantity: 2, extra: true },
    });
    await until(body.id, 'processed');
    const data = t.app.get(TypedHandler).lastData;
    expect(data).toBeInstanceOf(TypedData);
    expect(data).toMatchObject({ name: 'x', quantity: 2, extra: true });
  });
});
