import { countEvents, deliveriesOf } from './support/inbox-rows.js';
import { subscriptionChargeback, subscriptionCreated, subscriptionRefund } from './support/provider-events.js';
import type { TestApp } from './support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus, waitFor } from './support/test-app.js';

describe('example feature: subscriptions, refunds, chargebacks', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const subscription = async (id: string) =>
    (
      await t.db.query(
        `SELECT subscription_id, email, plan_name, amount, currency, interval, status,
                refunded_amount, charged_back_amount FROM subscriptions WHERE subscription_id = $1`,
        [id],
      )
    ).rows[0];
  const allProcessed = (ids: string[]) =>
    waitFor(
      async () => (await countEvents(t.db, { ids, status: 'processed' })) === ids.length,
      20_000,
      'events to be processed',
    );

  it('turns the three example events into rows in their tables', async () => {
    const sub = uniqueId('sub');
    const posted = [
      await t.post(subscriptionCreated(sub)),
      await t.post(subscriptionRefund(sub, `${sub}_re1`, 900)),
      await t.post(subscriptionChargeback(sub, `${sub}_cb1`, 2000)),
    ];
    expect(posted.map((p) => p.status)).toEqual([200, 200, 200]);
    await allProcessed(posted.map((p) => p.body.id));

    expect(await subscription(sub)).toEqual({
      subscription_id: sub,
      email: 'ada@example.com',
      plan_name: 'Pro',
      amount: '2900',
      currency: 'EUR',
      interval: 'month',
      status: 'active',
      refunded_amount: '900',
      charged_back_amount: '2000',
    });
    const refund = await t.db.query('SELECT amount, event_id FROM subscription_refunds WHERE refund_id = $1', [
      `${sub}_re1`,
    ]);
    expect(refund.rows).toEqual([{ amount: '900', event_id: posted[1].body.id }]);
    const chargeback = await t.db.query('SELECT reason_code FROM subscription_chargebacks WHERE chargeback_id = $1', [
      `${sub}_cb1`,
    ]);
    expect(chargeback.rows).toEqual([{ reason_code: '10.4' }]);
  });

  it('ends in the right state when refunds and a chargeback arrive before the subscription, all at once', async () => {
    const sub = uniqueId('sub');
    const refunds = [1, 2, 3].map((n) => subscriptionRefund(sub, `${sub}_re${n}`, n * 100));
    const chargeback = subscriptionChargeback(sub, `${sub}_cb`, 700);
    // Out of order and concurrent: the create is sent last.
    const early = await Promise.all([...refunds, chargeback].map((event) => t.post(event)));
    const late = await t.post(subscriptionCreated(sub));
    // A repeated refund (new provider event id, same refund) must not count twice.
    const repeat = await t.post({ ...refunds[0], id: `${refunds[0].id}_resent` });
    await allProcessed([...early, late, repeat].map((p) => p.body.id));

    expect(await subscription(sub)).toMatchObject({
      refunded_amount: '600',
      charged_back_amount: '700',
      status: 'active',
    });
    const count = await t.db.query('SELECT count(*)::int AS n FROM subscription_refunds WHERE subscription_id = $1', [
      sub,
    ]);
    expect(count.rows[0].n).toBe(3);
  });

  it('refuses invalid example data permanently, naming the fields, and writes nothing', async () => {
    const sub = uniqueId('sub');
    const bad = subscriptionCreated(sub, { email: 'not-an-email', interval: 'week', amount: -1 });
    const { body } = await t.post(bad);
    await untilEventStatus(t.db, body.id, 'failed');
    const [delivery] = await deliveriesOf(t.db, body.id, ['status', 'attempts', 'last_error']);
    expect(delivery).toMatchObject({ status: 'dead', attempts: 1 });
    expect(delivery.last_error).toMatch(/email/);
    expect(delivery.last_error).toMatch(/interval/);
    expect(delivery.last_error).toMatch(/amount/);
    expect(await subscription(sub)).toBeUndefined();
  });
});
