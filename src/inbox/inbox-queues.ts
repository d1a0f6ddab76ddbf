import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { INBOX_REDIS, WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from './webhook-inbox.options.js';

/** Batches of freshly committed event ids; the dispatch processor plans their deliveries. */
export const DISPATCH_QUEUE = 'webhook-dispatch';
export const handlerQueueName = (handler: string) => `webhook-handler-${handler}`;

/** What the producer needs to know of a handler. */
export interface HandlerQueueTarget {
  name: string;
  /** Events carried by one job. */
  batchSize: number;
}

/** What a job carries: ids only. Payloads stay in Postgres (Redis stores job data in clear text). */
export interface EventIdsJob {
  eventIds: string[];
}

// Completed jobs are only kept briefly (for the dashboard); Postgres keeps the history.
const KEEP = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;

/** The producer side of every queue the inbox uses. */
@Injectable()
export class InboxQueues implements OnApplicationShutdown {
  private readonly handlerQueues = new Map<string, Queue<EventIdsJob>>();

  constructor(
    @InjectQueue(DISPATCH_QUEUE) readonly dispatchQueue: Queue<EventIdsJob>,
    @Inject(INBOX_REDIS) private readonly redis: Redis,
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
  ) {}

  /** One job for a batch of events. The id is derived from the batch, so adding it twice is a no-op. */
  async dispatch(eventIds: string[], key = 'ingest'): Promise<void> {
    if (eventIds.length === 0) return;
    await this.dispatchQueue.add(
      'dispatch',
      { eventIds },
      {
        ...KEEP,
        jobId: `${key}-${eventIds[0]}-${eventIds.length}`,
        attempts: 10,
        backoff: { type: 'exponential', delay: 1000 },
      },
    );
  }

  /** Jobs for one handler, `batchSize` events each. `key` makes the job ids unique per purpose. */
  async runHandler(
    handler: HandlerQueueTarget,
    eventIds: string[],
    key: string,
    options: JobsOptions = {},
  ): Promise<void> {
    const queue = this.queueFor(handler.name);
    const jobs = [];
    for (let start = 0; start < eventIds.length; start += handler.batchSize) {
      const chunk = eventIds.slice(start, start + handler.batchSize);
      jobs.push({
        name: 'deliver',
        data: { eventIds: chunk },
        opts: {
          ...KEEP,
          // A job that failed as a whole (Postgres unreachable, …) is retried by BullMQ; the
          // deliveries' own attempts are only counted when the handler really ran.
          attempts: 20,
          backoff: { type: 'exponential', delay: 500 },
          ...options,
          jobId: `${key}-${chunk[0]}-${chunk.length}`,
        },
      });
    }
    await queue.addBulk(jobs);
  }

  queueFor(handler: string): Queue<EventIdsJob> {
    let queue = this.handlerQueues.get(handler);
    if (!queue) {
      queue = new Queue<EventIdsJob>(handlerQueueName(handler), {
        connection: this.redis,
        prefix: this.options.queuePrefix,
      });
      this.handlerQueues.set(handler, queue);
    }
    return queue;
  }

  allQueues(): Queue[] {
    return [this.dispatchQueue, ...this.handlerQueues.values()];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.handlerQueues.values()].map((queue) => queue.close()));
  }
}
