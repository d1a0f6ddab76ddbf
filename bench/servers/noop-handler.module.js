// The handler the end-to-end measurement runs: does nothing but count its runs per event, so the
// bench can check "exactly once per handler" from the handler's side too. Plain JavaScript (the
// decorators are applied as functions), loaded by the service child against the built dist/.
import { Injectable, Module } from '@nestjs/common';

export const BENCH_EVENT_TYPES = ['bench.noop', 'bench.e2e'];
/** Its name in webhook_deliveries.handler (the class name). */
export const NOOP_HANDLER_NAME = 'NoopBenchHandler';

/** Runs per inbox event id. */
export const handlerRuns = new Map();

export async function noopHandlerModule(distDir) {
  const { OnWebhook, PermanentWebhookError, WebhookCatalogModule, defineWebhookEvents } = await import(
    `${distDir}/src/processing/api/index.js`
  );
  // The app's catalog names the example feature's types; the bench's own go in a catalog of their own.
  const BenchEvents = defineWebhookEvents(
    Object.fromEntries([...BENCH_EVENT_TYPES, ...Object.values(ORDERING_EVENT_TYPES)].map((type) => [type, null])),
  );

  class NoopBenchHandler {
    handle(event) {
      handlerRuns.set(event.id, (handlerRuns.get(event.id) ?? 0) + 1);
    }
  }
  Injectable()(NoopBenchHandler);
  // It holds nothing (no connection, no memory) while it runs, so it runs many deliveries at once: each
  // group of deliveries that start together costs one statement.
  OnWebhook(BENCH_EVENT_TYPES, { concurrency: 50 })(NoopBenchHandler);

  // The ordering comparison: the same no-op handler twice, once unordered and once ordered by a
  // key taken from the event's id (the bench's ids end in a counter: event n has key n mod keys).
  // The poison type is ordered over fewer keys, and its first event fails for good: its key stays
  // blocked (onDead: 'block') while every other key goes on.
  const keys = Number(process.env.BENCH_ORDERED_KEYS ?? 10_000);
  const poisonKeys = Math.max(1, Math.round(keys / 10));
  const counterOf = (event) => Number(event.externalId.slice(event.externalId.lastIndexOf('_') + 1));

  class UnorderedTwinBenchHandler {
    handle() {}
  }
  Injectable()(UnorderedTwinBenchHandler);
  OnWebhook(ORDERING_EVENT_TYPES.unordered, { concurrency: 50 })(UnorderedTwinBenchHandler);

  class OrderedBenchHandler {
    handle(event) {
      if (event.type === ORDERING_EVENT_TYPES.poison && counterOf(event) === 1) {
        throw new PermanentWebhookError('the poison event of the bench');
      }
    }
  }
  Injectable()(OrderedBenchHandler);
  OnWebhook([ORDERING_EVENT_TYPES.ordered, ORDERING_EVENT_TYPES.poison], {
    concurrency: 50,
    orderBy: (event) => `k${counterOf(event) % (event.type === ORDERING_EVENT_TYPES.poison ? poisonKeys : keys)}`,
  })(OrderedBenchHandler);

  class NoopHandlerModule {}
  Module({
    imports: [WebhookCatalogModule.forFeature(BenchEvents)],
    providers: [NoopBenchHandler, UnorderedTwinBenchHandler, OrderedBenchHandler],
  })(NoopHandlerModule);
  return NoopHandlerModule;
}

export const ORDERING_EVENT_TYPES = {
  unordered: 'bench.unordered',
  ordered: 'bench.ordered',
  poison: 'bench.ordered_poison',
};

/** What the handler saw, for the bench's exactly-once check. */
export function handlerRunStats() {
  let runs = 0;
  let repeated = 0;
  for (const count of handlerRuns.values()) {
    runs += count;
    if (count > 1) repeated++;
  }
  return { runs, distinctEvents: handlerRuns.size, eventsRunMoreThanOnce: repeated };
}
