import { Injectable } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler, WebhookHandlerContext } from '../../processing/api/index.js';
import { Chargeback } from '../chargeback.entity.js';
import { SubscriptionLedger } from '../subscription-ledger.service.js';

/** subscription_manual_chargeback → a row in `subscription_chargebacks`, and the charged-back total. */
@Injectable()
@OnWebhook('subscription_manual_chargeback', { transactional: true })
export class SubscriptionChargebackHandler implements WebhookHandler<'subscription_manual_chargeback'> {
  constructor(private readonly ledger: SubscriptionLedger) {}

  async handle(
    event: WebhookEvent<'subscription_manual_chargeback'>,
    { manager }: WebhookHandlerContext,
  ): Promise<void> {
    const data = event.data;
    await this.ledger.lock(manager, data.subscription_id);
    await manager
      .createQueryBuilder()
      .insert()
      .into(Chargeback)
      .values({
        chargebackId: data.chargeback_id,
        subscriptionId: data.subscription_id,
        userId: data.user_id,
        paymentId: data.payment_id,
        amount: String(data.amount),
        currency: data.currency,
        reason: data.reason,
        reasonCode: data.reason_code,
        disputedAt: new Date(data.disputed_at),
        eventId: event.id,
      })
      .orIgnore()
      .execute();
    await this.ledger.recomputeTotals(manager, data.subscription_id);
  }
}
