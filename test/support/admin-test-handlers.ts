import { Injectable, Module } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler } from '../../src/processing/api/index.js';
import { countRun, runsOf as adminRunsOf } from './run-counter.js';
import { OrderPlacedData, TestEventsCatalog } from './test-events.js';

export { adminRunsOf };

/** External ids whose events SwitchableHandler fails; remove one to "fix the bug" before a replay. */
export const failing = new Set<string>();

@Injectable()
@OnWebhook('admin.switchable', { attempts: 2, backoff: { type: 'fixed', delayMs: 20 } })
export class SwitchableHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    countRun('SwitchableHandler', event);
    if (failing.has(event.externalId)) throw new Error(`switched off for ${event.externalId}`);
  }
}

/** Next to SwitchableHandler on the same type: always succeeds. */
@Injectable()
@OnWebhook('admin.switchable')
export class SteadyHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    countRun('SteadyHandler', event);
  }
}

@Injectable()
@OnWebhook('admin.order_placed', { dto: OrderPlacedData, timeoutMs: 5000, concurrency: 2 })
export class OrderPlacedHandler implements WebhookHandler<OrderPlacedData> {
  handle(event: WebhookEvent<OrderPlacedData>): void {
    countRun('OrderPlacedHandler', event);
  }
}

/** Subscribed to a type no test ever sends: "handled but never seen". */
@Injectable()
@OnWebhook('admin.never_sent')
export class NeverSentHandler implements WebhookHandler {
  handle(): void {}
}

@Module({
  imports: [TestEventsCatalog],
  providers: [SwitchableHandler, SteadyHandler, OrderPlacedHandler, NeverSentHandler],
})
export class AdminTestHandlersModule {}
