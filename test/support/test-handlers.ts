import { Injectable, Module } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler } from '../../src/processing/api/index.js';
import { countRun } from './run-counter.js';
import { TypedData, TestEventsCatalog } from './test-events.js';

export { runsOf } from './run-counter.js';

@Injectable()
@OnWebhook('test.ok')
export class OkHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    countRun('OkHandler', event);
  }
}

/** Fails on its first `data.failures` attempts, then succeeds. */
@Injectable()
@OnWebhook('test.flaky', { attempts: 4, backoff: { type: 'fixed', delayMs: 50 } })
export class FlakyHandler implements WebhookHandler<'test.flaky'> {
  handle(event: WebhookEvent<'test.flaky'>): void {
    const n = countRun('FlakyHandler', event);
    if (n <= event.data.failures) throw new Error(`flaky failure ${n}`);
  }
}

/** Always fails; also subscribed to test.split, next to SplitPartnerHandler. */
@Injectable()
@OnWebhook(['test.broken', 'test.split'], { attempts: 3, backoff: { type: 'exponential', delayMs: 20 } })
export class BrokenHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    countRun('BrokenHandler', event);
    throw new Error('broken on purpose');
  }
}

@Injectable()
@OnWebhook('test.split')
export class SplitPartnerHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    countRun('SplitPartnerHandler', event);
  }
}

@Injectable()
@OnWebhook('test.typed', { dto: TypedData, attempts: 5 })
export class TypedHandler implements WebhookHandler<TypedData> {
  lastData?: TypedData;
  handle(event: WebhookEvent<TypedData>): void {
    countRun('TypedHandler', event);
    this.lastData = event.data;
  }
}

/** Declared only here, in a test module: proves discovery finds handlers in any module. */
@Module({
  imports: [TestEventsCatalog],
  providers: [OkHandler, FlakyHandler, BrokenHandler, SplitPartnerHandler, TypedHandler],
})
export class TestHandlersModule {}
