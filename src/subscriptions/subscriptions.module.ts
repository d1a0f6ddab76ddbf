import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookCatalogModule } from '../processing/api/index.js';
import { Chargeback } from './chargeback.entity.js';
import { SubscriptionChargebackHandler } from './handlers/subscription-chargeback.handler.js';
import { SubscriptionCreatedHandler } from './handlers/subscription-created.handler.js';
import { SubscriptionRefundHandler } from './handlers/subscription-refund.handler.js';
import { SubscriptionTimelineHandler } from './handlers/subscription-timeline.handler.js';
import { Refund } from './refund.entity.js';
import { Subscription } from './subscription.entity.js';
import { SubscriptionLedger } from './subscription-ledger.service.js';
import { SubscriptionEvents } from './subscription-events.js';
import { TimelineEntry } from './timeline-entry.entity.js';

/**
 * The example feature: how we want a team to write theirs. Its event types and their DTOs are
 * declared once (SubscriptionEvents); handlers are ordinary providers with @OnWebhook, and listing
 * them here is all it takes for the inbox to find them.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Subscription, Refund, Chargeback, TimelineEntry]),
    WebhookCatalogModule.forFeature(SubscriptionEvents),
  ],
  providers: [
    SubscriptionLedger,
    SubscriptionCreatedHandler,
    SubscriptionRefundHandler,
    SubscriptionChargebackHandler,
    SubscriptionTimelineHandler,
  ],
})
export class SubscriptionsModule {}
