// Everything a handler author needs, from one place:
//   import { OnWebhook, WebhookHandler, WebhookEvent, WebhookHandlerContext } from './index.js';
export { OnWebhook, ALL_EVENT_TYPES } from './on-webhook.decorator.js';
export type { OnWebhookOptions, BackoffOptions, OrderingEvent } from './on-webhook.decorator.js';
export { PermanentWebhookError } from './webhook-handler.interface.js';
export type {
  StoredWebhookEvent,
  WebhookEvent,
  WebhookHandler,
  WebhookHandlerContext,
} from './webhook-handler.interface.js';
export { defineWebhookEvents, WebhookEventCatalog } from './webhook-catalog.js';
export { WebhookCatalogModule } from './webhook-catalog.module.js';
export type {
  CatalogEntries,
  WebhookEventData,
  WebhookEventType,
  WebhookEventTypes,
  WebhookEventDtos,
} from './webhook-catalog.js';
