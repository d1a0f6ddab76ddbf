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
  const { OnWebhook } = await import(`${distDir}/src/processing/api/index.js`);

  class NoopBenchHandler {
    handle(event) {
      handlerRuns.set(event.id, (handlerRuns.get(event.id) ?? 0) + 1);
    }
  }
  Injectable()(NoopBenchHandler);
  // It holds nothing (no connection, no memory) while it runs, so it runs many deliveries at once: each
  // group of deliveries that start together costs one statement.
  OnWebhook(BENCH_EVENT_TYPES, { concurrency: 50 })(NoopBenchHandler);

  class NoopHandlerModule {}
  Module({ providers: [NoopBenchHandler] })(NoopHandlerModule);
  return NoopHandlerModule;
}

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
