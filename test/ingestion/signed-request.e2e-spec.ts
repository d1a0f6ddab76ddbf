import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { signedRequest, type WebhookSourceSettings } from '../../src/testing/index.js';
import { newSecret } from '../support/signing.js';
import { startTestApp, uniqueId, untilEventStatus, type TestApp } from '../support/test-app.js';
import { subscriptionFixtures } from '../../src/subscriptions/subscription.fixtures.js';

const SECRET = newSecret();
const STRIPE_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripeSource: WebhookSourceSettings = { name: 'stripe', verifier: 'stripe', secrets: [STRIPE_SECRET] };

/**
 * The testing kit's signedRequest(): what the providers' own libraries accept, and what the real
 * service (Postgres, Redis, the example feature) takes.
 */
describe('signedRequest()', () => {
  it("signs the default envelope as Standard Webhooks and Stripe's layout as Stripe, by their own libraries", () => {
    const request = signedRequest({ secret: SECRET, type: 'subscription_user_create', data: { a: 1 }, id: 'evt_1' });
    expect(request).toMatchObject({ method: 'POST', url: '/webhooks' });
    expect(new Webhook(SECRET).verify(request.body, request.headers)).toMatchObject({
      id: 'evt_1',
      type: 'subscription_user_create',
      data: { a: 1 },
    });

    const stripe = signedRequest({ source: stripeSource, type: 'invoice.paid', data: { id: 'in_1' }, id: 'evt_2' });
    expect(stripe.url).toBe('/webhooks/stripe');
    const event = new Stripe('sk_test_not_used').webhooks.constructEvent(
      stripe.body,
      stripe.headers['stripe-signature'],
      STRIPE_SECRET,
    );
    // `data` goes where the source's preset reads a handler's event.data from.
    expect(event).toMatchObject({ id: 'evt_2', type: 'invoice.paid', data: { id: 'in_1' } });
  });

  describe('against the running service', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({
        env: {
          WEBHOOK_SECRET: SECRET,
          WEBHOOK_SOURCES: 'stripe',
          SOURCE_STRIPE_VERIFIER: 'stripe',
          SOURCE_STRIPE_SECRET: STRIPE_SECRET,
        },
      });
    });
    afterAll(() => t?.close());

    it('is accepted, and the example feature processes it', async () => {
      const sub = uniqueId('sub');
      const created = signedRequest({
        secret: SECRET,
        type: 'subscription_user_create',
        data: subscriptionFixtures.created({ subscription_id: sub }),
      });
      const byFetch = await fetch(`${t.url}${created.url}`, created);
      expect(byFetch.status).toBe(200);
      const { id } = (await byFetch.json()) as { id: string };
      await untilEventStatus(t.db, id, 'processed');
      expect((await t.db.query('SELECT email FROM subscriptions WHERE subscription_id = $1', [sub])).rows).toEqual([
        { email: 'ada@example.com' },
      ]);

      const refund = signedRequest({
        secret: SECRET,
        type: 'subscription_event_refund',
        data: subscriptionFixtures.refund({ subscription_id: sub, refund_id: `${sub}_rf` }),
      });
      const refunded = await fetch(`${t.url}${refund.url}`, refund);
      expect(refunded.status).toBe(200);
      await untilEventStatus(t.db, ((await refunded.json()) as { id: string }).id, 'processed');
      expect(
        (await t.db.query('SELECT refunded_amount FROM subscriptions WHERE subscription_id = $1', [sub])).rows,
      ).toEqual([{ refunded_amount: '1000' }]);
    });

    it("reaches a configured source, signed the source's way; a changed body is refused", async () => {
      const request = signedRequest({ source: stripeSource, type: 'invoice.paid', data: { id: 'in_2' } });
      const response = await fetch(`${t.url}${request.url}`, request);
      expect(response.status).toBe(200);
      const { id } = (await response.json()) as { id: string };
      await untilEventStatus(t.db, id, 'ignored');
      expect((await t.db.query('SELECT source FROM webhook_events WHERE id = $1', [id])).rows).toEqual([
        { source: 'stripe' },
      ]);

      const tampered = await fetch(`${t.url}${request.url}`, {
        ...request,
        body: request.body.replace('in_2', 'in_3'),
      });
      expect(tampered.status).toBe(401);
    });
  });
});
