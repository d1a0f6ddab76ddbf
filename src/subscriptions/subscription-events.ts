import { defineWebhookEvents, type CatalogEntries } from '../processing/api/index.js';
import { SubscriptionChargebackData } from './dto/subscription-chargeback.data.js';
import { SubscriptionCreatedData } from './dto/subscription-created.data.js';
import { SubscriptionRefundData } from './dto/subscription-refund.data.js';

/** The provider's event types this application handles, each with the DTO that validates its `data`. */
export const SubscriptionEvents = defineWebhookEvents({
  subscription_user_create: SubscriptionCreatedData,
  subscription_event_refund: SubscriptionRefundData,
  subscription_manual_chargeback: SubscriptionChargebackData,
});

// Tells the compiler about the catalog: @OnWebhook then refuses other type names, and
// WebhookEvent<'subscription_event_refund'> has SubscriptionRefundData as its data.
declare module '../processing/api/index.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WebhookEventTypes extends CatalogEntries<typeof SubscriptionEvents> {}
}
