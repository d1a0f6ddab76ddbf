import { Injectable } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler, WebhookHandlerContext } from '../../processing/api/index.js';
import { Refund } from '../refund.entity.js';
import { SubscriptionLedger } from '../subscription-ledger.service.js';

/** subscription_event_refund → a row in `subscription_refunds`, and the subscription's refunded total. */
@Injectable()
@OnWebhook('subscription_event_refund', { transactional: true })
export class SubscriptionRefundHandler implements WebhookHandler<'subscription_event_refund'> {
  constructor(private readonly ledger: SubscriptionLedger) {}

  async handle(event: WebhookEvent<'subscription_event_refund'>, { manager }: WebhookHandlerContext): Promise<void> {
    const data = event.data;
    await this.ledger.lock(manager, data.subscription_id);
    // The refund id is the provider's: a second event about the same refund changes nothing.
    await manager
      .createQueryBuilder()
      .insert()
      .into(Refund)
      .values({
        refundId: data.refund_id,
        subscriptionId: data.subscription_id,
        userId: data.user_id,
        paymentId: data.payment_id,
        amount: String(data.amount),
        currency: data.currency,
        reason: data.reason,
        refundedAt: new Date(data.refunded_at),
        eventId: event.id,
      })
      .orIgnore()
      .execute();
    await this.ledger.recomputeTotals(manager, data.subscription_id);
  }
}
