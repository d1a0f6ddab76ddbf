import { IsInt, IsString, Min } from 'class-validator';
import { defineWebhookEvents, WebhookCatalogModule, type CatalogEntries } from '../../src/processing/api/index.js';

export class FlakyData {
  @IsInt() @Min(0) failures: number;
}

export class TypedData {
  @IsString() name: string;
  @IsInt() @Min(1) quantity: number;
}

export class OrderPlacedData {
  @IsString() order_id: string;
  @IsInt() @Min(1) quantity: number;
}

/**
 * Every event type the end-to-end suites' own handlers take, in one catalog next to the example
 * feature's: each test handlers module registers it (the registry merges the copies).
 */
export const TestEvents = defineWebhookEvents({
  'test.ok': null,
  'test.flaky': FlakyData,
  'test.broken': null,
  'test.split': null,
  'test.typed': TypedData,
  'test.gated': null,
  'test.gated_parallel': null,
  'test.slow_tx': null,
  'test.held_tx': null,
  'test.failing': null,
  'test.tx_limits': null,
  'test.ordered': null,
  'test.ordered_other': null,
  'test.ordered_skip': null,
  'test.gate': null,
  'test.hang': null,
  'test.poison': null,
  'test.count': null,
  'admin.switchable': null,
  'admin.order_placed': OrderPlacedData,
  'admin.never_sent': null,
  'alerts.refused': null,
  'alerts.other': null,
  'alerts.flaky': null,
});

declare module '../../src/processing/api/index.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WebhookEventTypes extends CatalogEntries<typeof TestEvents> {}
}

/** In a test handlers module's `imports`. */
export const TestEventsCatalog = WebhookCatalogModule.forFeature(TestEvents);
