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

/** A job for one handler: its id and the events it carries. */
export interface HandlerJob {
  id: string;
  eventIds: string[];
}

/**
 * The jobs that carry these events, `batchSize` a job, with ids derived from what they carry
 * (`key`, the first event, the count): the same events under the same key give the same ids.
 * Ids never contain ":" (BullMQ's separator).
 */
export function handlerJobs(handler: HandlerQueueTarget, eventIds: readonly string[], key: string): HandlerJob[] {
  const jobs: HandlerJob[] = [];
  for (let start = 0; start < eventIds.length; start += handler.batchSize) {
    const chunk = eventIds.slice(start, start + handler.batchSize);
    jobs.push({ id: `${key}-${chunk[0]}-${chunk.length}`, eventIds: chunk });
  }
  return jobs;
}

/** What a job carries: ids only. Payloads stay in Postgres (Redis stores job data in clear text). */
export interface EventIdsJob {
  eventIds: string[];
}

const PENDING_STATES: ReadonlySet<string> = new Set([
  'waiting',
  'delayed',
  'active',
  'prioritized',
  'waiting-children',
]);

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

  /**
   * Jobs for one handler, `batchSize` events each (see `handlerJobs`). Adding a job whose id
   * exists already is a no-op.
   */
  async runHandler(
    handler: HandlerQueueTarget,
    eventIds: string[],
    key: string,
    options: JobsOptions = {},
  ): Promise<void> {
    await this.addHandlerJobs(handler.name, handlerJobs(handler, eventIds, key), options);
  }

  /** These jobs on the handler's queue. */
  async addHandlerJobs(handler: string, jobs: readonly HandlerJob[], options: JobsOptions = {}): Promise<void> {
    if (jobs.length === 0) return;
    await this.queueFor(handler).addBulk(
      jobs.map((job) => ({
        name: 'deliver',
        data: { eventIds: job.eventIds },
        opts: {
          ...KEEP,
          // A job that failed as a whole (Postgres unreachable, a run interrupted) is retried by
          // BullMQ; the deliveries' own attempts are only counted when the handler really ran.
          attempts: 20,
          backoff: { type: 'exponential', delay: 500 },
          ...options,
          jobId: job.id,
        },
      })),
    );
  }

  /** Whether a job with this id is still waiting, delayed or running on the handler's queue. */
  async handlerJobPending(handler: string, jobId: string): Promise<boolean> {
    return PENDING_STATES.has(await this.queueFor(handler).getJobState(jobId));
  }

  /**
   * Adds the job unless one with its id is pending already. A finished job of that id (kept for
   * the dashboard) is removed first, or BullMQ would ignore the add.
   */
  async requeueHandlerJob(handler: string, job: HandlerJob): Promise<void> {
    const queue = this.queueFor(handler);
    const state = await queue.getJobState(job.id);
    if (PENDING_STATES.has(state)) return;
    if (state === 'completed' || state === 'failed') await queue.remove(job.id);
    await this.addHandlerJobs(handler, [job]);
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
