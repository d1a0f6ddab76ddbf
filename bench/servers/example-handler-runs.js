// Counts the runs of the example feature's handlers (src/subscriptions) per inbox event, so that
// the example mix can be checked from the handlers' side too, as the no-op handler counts its own.
// The instances the handler registry holds are wrapped in place, after the app is built; a run
// whose transaction rolled back and was retried counts twice. If the classes moved, the counts are
// simply unavailable (the table checks do not depend on them).

const HANDLERS = [
  ['subscriptions/handlers/subscription-created.handler.js', 'SubscriptionCreatedHandler'],
  ['subscriptions/handlers/subscription-refund.handler.js', 'SubscriptionRefundHandler'],
  ['subscriptions/handlers/subscription-chargeback.handler.js', 'SubscriptionChargebackHandler'],
];

/** Runs per inbox event id, all three handlers together (each event type has one of them). */
const runs = new Map();
let unavailable = 'not instrumented';

export async function countExampleHandlerRuns(app, distDir) {
  try {
    for (const [file, name] of HANDLERS) {
      const module = await import(`${distDir}/src/${file}`);
      const instance = app.get(module[name], { strict: false });
      const handle = instance.handle;
      if (typeof handle !== 'function') throw new Error(`${name} has no handle method`);
      instance.handle = function countedHandle(event, context) {
        runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
        return handle.call(this, event, context);
      };
    }
    unavailable = undefined;
  } catch (error) {
    unavailable = error.message;
  }
}

export function exampleHandlerRunStats() {
  if (unavailable) return { unavailable };
  let total = 0;
  let repeated = 0;
  for (const count of runs.values()) {
    total += count;
    if (count > 1) repeated++;
  }
  return { runs: total, distinctEvents: runs.size, eventsRunMoreThanOnce: repeated };
}
