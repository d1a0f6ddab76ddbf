// The handler author's testing kit: run handlers without Redis, build signed requests.
//   import { WebhookInboxTestingModule, signedRequest } from '<path to>/testing/index.js';
export { WebhookInboxTestingModule, WebhookInboxTesting } from './webhook-inbox-testing.module.js';
export type {
  DeliveryResult,
  FixtureOptions,
  ObserveOptions,
  OutOfOrderOptions,
  RetriedDelivery,
  WebhookInboxTestingOptions,
} from './webhook-inbox-testing.module.js';
export { signedRequest } from './signed-request.js';
export type { SignedRequestOptions, SignedWebhookRequest } from './signed-request.js';
export type { WebhookSourceSettings } from '../shared/sources/webhook-source.js';
export { DeliveryFailedError, InvalidFixtureError, NotIdempotentError, OrderSensitiveError } from './testing-errors.js';
export { resetTables, snapshotTables } from './table-snapshot.js';
export { TestDatabase } from './test-database.js';
