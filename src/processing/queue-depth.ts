import type { InboxQueues } from '../inbox/inbox-queues.js';
import type { WebhookHandlerRegistry } from './discovery/webhook-handler.registry.js';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueDepth extends Record<QueueState, number> {
  queue: string;
  /** The handler the queue belongs to; absent for the dispatch queue. */
  handler?: string;
}

/**
 * Job counts of the dispatch queue and of every handler's queue. `waiting` includes prioritised
 * jobs. Throws when Redis does not answer (the producer connection fails fast).
 */
export async function queueDepths(queues: InboxQueues, registry: WebhookHandlerRegistry): Promise<QueueDepth[]> {
  const targets = [
    { queue: queues.dispatchQueue, handler: undefined as string | undefined },
    ...registry.all().map((handler) => ({ queue: queues.queueFor(handler.name), handler: handler.name })),
  ];
  return Promise.all(
    targets.map(async ({ queue, handler }) => {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      return {
        queue: queue.name,
        ...(handler ? { handler } : {}),
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      };
    }),
  );
}
