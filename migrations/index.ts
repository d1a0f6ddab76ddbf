// Every migration, in order. Listed explicitly (not globbed) so that the app, the CLI and the
// tests load exactly the same set whether they run from TypeScript or from dist/.
import { InboxSchema1764489600000 } from './1764489600000-inbox-schema.js';
import { SubscriptionsSchema1764489700000 } from './1764489700000-subscriptions-schema.js';
import { EventTypeSubscriptions1764490000000 } from './1764490000000-event-type-subscriptions.js';
import { EventQueuedAt1764490500000 } from './1764490500000-event-queued-at.js';
import { DeliveryRuns1764491000000 } from './1764491000000-delivery-runs.js';
import { WebhookRejections1764491500000 } from './1764491500000-webhook-rejections.js';
import { AdminAuditLog1764491800000 } from './1764491800000-admin-audit-log.js';
import { OrderedDeliveries1764492000000 } from './1764492000000-ordered-deliveries.js';
import { SubscriptionTimeline1764492100000 } from './1764492100000-subscription-timeline.js';
import { RejectionSource1764492500000 } from './1764492500000-rejection-source.js';
import { AlertState1764493000000 } from './1764493000000-alert-state.js';
import { EventTraceParent1764493100000 } from './1764493100000-event-trace-parent.js';

export const migrations = [
  InboxSchema1764489600000,
  SubscriptionsSchema1764489700000,
  EventTypeSubscriptions1764490000000,
  EventQueuedAt1764490500000,
  DeliveryRuns1764491000000,
  WebhookRejections1764491500000,
  AdminAuditLog1764491800000,
  OrderedDeliveries1764492000000,
  SubscriptionTimeline1764492100000,
  RejectionSource1764492500000,
  AlertState1764493000000,
  EventTraceParent1764493100000,
];
