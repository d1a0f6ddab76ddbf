import { OrderSensitiveError, WebhookInboxTestingModule, type WebhookInboxTesting } from '../testing/index.js';
import { SubscriptionChargebackHandler } from './handlers/subscription-chargeback.handler.js';
import { SubscriptionCreatedHandler } from './handlers/subscription-created.handler.js';
import { SubscriptionRefundHandler } from './handlers/subscription-refund.handler.js';
import { SubscriptionTimelineHandler } from './handlers/subscription-timeline.handler.js';
import { Subscription } from './subscription.entity.js';
import { subscriptionFixtures } from './subscription.fixtures.js';
import { SubscriptionsModule } from './subscriptions.module.js';

/**
 * The example feature's handlers through the testing module, on a database of the spec's own and
 * with no Redis: the ledger's handlers tolerate any order and repeats; the timeline does not
 * tolerate reordering, which is why it declares `orderBy`.
 */
describe('the subscription ledger and timeline (testing module)', () => {
  let inbox: WebhookInboxTesting;

  beforeAll(async () => {
    inbox = await WebhookInboxTestingModule.create({ imports: [SubscriptionsModule], database: true });
  });
  afterAll(() => inbox.close());

  const events = () => [
    inbox.event('subscription_user_create', subscriptionFixtures.created()),
    inbox.event('subscription_event_refund', subscriptionFixtures.refund({ amount: 700 })),
    inbox.event('subscription_manual_chargeback', subscriptionFixtures.chargeback({ amount: 300 })),
  ];
  const ledger = [SubscriptionCreatedHandler, SubscriptionRefundHandler, SubscriptionChargebackHandler];

  it('ends with the same totals whatever order the events arrive in', async () => {
    await inbox.deliverOutOfOrder(ledger, events());
    const subscription = await inbox
      .dataSource!.getRepository(Subscription)
      .findOneByOrFail({ subscriptionId: 'sub_1' });
    expect(subscription).toMatchObject({ refundedAmount: '700', chargedBackAmount: '300' });
  });

  it('applies each event once, however often it is delivered', async () => {
    const [created, refund, chargeback] = events();
    await inbox.deliverTwice(SubscriptionCreatedHandler, created);
    await inbox.deliverTwice(SubscriptionRefundHandler, refund);
    await inbox.deliverTwice(SubscriptionChargebackHandler, chargeback);
    await inbox.deliverTwice(SubscriptionTimelineHandler, refund);
  });

  it("the timeline's lines depend on the order, so it runs a subscription's events in order (orderBy)", async () => {
    const reordered = inbox.deliverOutOfOrder(SubscriptionTimelineHandler, events());
    await expect(reordered).rejects.toThrow(OrderSensitiveError);
    await expect(reordered).rejects.toThrow(/table subscription_timeline: 3 row\(s\) order 1,2,3, 3 order 3,2,1/);
  });
});
