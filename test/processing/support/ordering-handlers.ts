import { Injectable, Module } from '@nestjs/common';
import { OnWebhook, type WebhookEvent, type WebhookHandler } from '../../../src/processing/api/index.js';
import { sleep } from '../../support/wait.js';
import { TestEventsCatalog } from '../../support/test-events.js';

export interface OrderedRun {
  handler: string;
  key: string;
  externalId: string;
  attempt: number;
  start: number;
  end: number;
  ok: boolean;
}

/** Every run of the ordering handlers, in the order they started. */
export const orderedRuns: OrderedRun[] = [];
/** Events (provider ids) whose every run fails until the test takes them out. */
export const failing = new Set<string>();
/** Events whose first `n` runs fail. */
export const failFirst = new Map<string, number>();

export interface OrderedData {
  key?: string;
  /** How long the run takes, in ms. */
  ms?: number;
}

async function run(handler: string, event: WebhookEvent<OrderedData>, attempt: number): Promise<void> {
  const record: OrderedRun = {
    handler,
    key: event.data.key ?? '(none)',
    externalId: event.externalId,
    attempt,
    start: performance.now(),
    end: Number.POSITIVE_INFINITY,
    ok: false,
  };
  orderedRuns.push(record);
  try {
    await sleep(event.data.ms ?? 5);
    if (failing.has(event.externalId)) throw new Error(`failing on purpose: ${event.externalId}`);
    if (attempt <= (failFirst.get(event.externalId) ?? 0)) throw new Error(`attempt ${attempt} fails on purpose`);
    record.ok = true;
  } finally {
    record.end = performance.now();
  }
}

/** Ordered by `data.key` over two types; dead heads hold their key (the default). */
@Injectable()
@OnWebhook(['test.ordered', 'test.ordered_other'], {
  orderBy: 'data.key',
  concurrency: 8,
  attempts: 2,
  backoff: { type: 'fixed', delayMs: 200 },
})
export class OrderedHandler implements WebhookHandler<OrderedData> {
  handle(event: WebhookEvent<OrderedData>, { attempt }: { attempt: number }): Promise<void> {
    return run('OrderedHandler', event, attempt);
  }
}

/** Ordered by a function; a dead head frees its key; key-less events run unordered. */
@Injectable()
@OnWebhook('test.ordered_skip', {
  orderBy: (event) => event.data.key,
  onDead: 'skip',
  onMissingKey: 'unordered',
  concurrency: 4,
  attempts: 1,
})
export class SkippingOrderedHandler implements WebhookHandler<OrderedData> {
  handle(event: WebhookEvent<OrderedData>, { attempt }: { attempt: number }): Promise<void> {
    return run('SkippingOrderedHandler', event, attempt);
  }
}

@Module({
  imports: [TestEventsCatalog],
  providers: [OrderedHandler, SkippingOrderedHandler],
})
export class OrderingTestHandlersModule {}
