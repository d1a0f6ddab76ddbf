import type { WebhookEvent } from '../../src/processing/api/index.js';

/** How often each test handler ran for each event (by external id): "ran once" vs "ran twice". */
const runs = new Map<string, number>();

/** Counts one run and returns the count so far (1 on the first run). */
export function countRun(handler: string, event: WebhookEvent<any>): number {
  const key = `${handler}:${event.externalId}`;
  const n = (runs.get(key) ?? 0) + 1;
  runs.set(key, n);
  return n;
}

export const runsOf = (handler: string, externalId: string): number => runs.get(`${handler}:${externalId}`) ?? 0;
