import { Injectable } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler, WebhookHandlerContext } from '../../processing/api/index.js';
import { Subscription } from '../subscription.entity.js';
import { SubscriptionLedger } from '../subscription-ledger.service.js';

/** subscription_user_create → a row in `subscriptions` (refunds that came first are counted in). */
@Injectable()
@OnWebhook('subscription_user_create', { transactional: true })
export class SubscriptionCreatedHandler implements WebhookHandler<'subscription_user_create'> {
  constructor(private readonly ledger: SubscriptionLedger) {}

  async handle(event: WebhookEvent<'subscription_user_create'>, { manager }: WebhookHandlerContext): Promise<void> {
    const data = event.data;
    await this.ledger.lock(manager, data.subscription_id);
    await manager.getRepository(Subscription).upsert(
      {
        subscriptionId: data.subscription_id,
        userId: data.user_id,
        email: data.email,
        planId: data.plan_id,
        planName: data.plan_name,
        amount: String(data.amount),
        currency: data.currency,
        interval: data.interval,
        status: data.status,
        currentPeriodStart: new Date(data.current_period_start),
        currentPeriodEnd: new Date(data.current_period_end),
        createdByEvent: event.id,
      },
      ['subscriptionId'],
    );
    await this.ledger.recomputeTotals(manager, data.subscription_id);
  }
}
