import { WebhookInboxTestingModule, type WebhookInboxTesting } from '../../testing/index.js';
import { Refund } from '../refund.entity.js';
import { Subscription } from '../subscription.entity.js';
import { subscriptionFixtures } from '../subscription.fixtures.js';
import { SubscriptionsModule } from '../subscriptions.module.js';
import { SubscriptionCreatedHandler } from './subscription-created.handler.js';
import { SubscriptionRefundHandler } from './subscription-refund.handler.js';

describe('SubscriptionRefundHandler (testing module: its own Postgres database, no Redis)', () => {
  let inbox: WebhookInboxTesting;

  beforeAll(async () => {
    inbox = await WebhookInboxTestingModule.create({ imports: [SubscriptionsModule], database: true });
  });
  afterAll(() => inbox.close());

  it('records the refund and counts it in the subscription it belongs to', async () => {
    await inbox.deliver(
      SubscriptionCreatedHandler,
      inbox.event('subscription_user_create', subscriptionFixtures.created()),
    );
    const refund = inbox.event('subscription_event_refund', subscriptionFixtures.refund({ amount: 1200 }));

    const result = await inbox.deliver(SubscriptionRefundHandler, refund);

    expect(result).toMatchObject({ outcome: 'succeeded', committed: true });
    const subscription = await inbox
      .dataSource!.getRepository(Subscription)
      .findOneByOrFail({ subscriptionId: 'sub_1' });
    expect(subscription.refundedAmount).toBe('1200');
    expect(await inbox.dataSource!.getRepository(Refund).findOneByOrFail({ refundId: 'rf_1' })).toMatchObject({
      amount: '1200',
      eventId: refund.id,
    });
  });

  it('is idempotent: the same refund delivered again changes nothing', async () => {
    const refund = inbox.event('subscription_event_refund', subscriptionFixtures.refund({ refund_id: 'rf_2' }));
    await inbox.deliverTwice(SubscriptionRefundHandler, refund);
  });

  it('refuses data its DTO refuses, without running (the delivery would be dead at once)', async () => {
    const bad = inbox.event('subscription_event_refund', subscriptionFixtures.refund({ currency: 'euro' }), {
      unchecked: true,
    });
    const result = await inbox.deliver(SubscriptionRefundHandler, bad);
    expect(result.outcome).toBe('invalid');
    expect(result.error?.message).toContain('currency must be a three-letter ISO 4217 code');
  });
});
