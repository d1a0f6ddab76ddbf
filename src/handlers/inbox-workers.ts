import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ConnectionOptions, Job, Worker } from 'bullmq';
import { workerRedisOptions } from '../inbox/redis-connection.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import { HandlerDeliveryProcessor } from './handler-delivery.processor.js';
import { DISPATCH_QUEUE, EventIdsJob, handlerQueueName } from './inbox-queues.js';
import { WebhookDispatchProcessor } from './webhook-dispatch.processor.js';
import { WebhookHandlerRegistry } from './webhook-handler.registry.js';

/**
 * Starts the BullMQ workers: one for dispatch, one per handler (its own concurrency and rate
 * limit, so a slow or failing handler never holds up another). Started in onApplicationBootstrap,
 * i.e. only after the registry was filled in onModuleInit, and only in processes that run workers.
 * The handler queues are named after the discovered handlers, which is why these workers are made
 * here rather than declared with @Processor.
 */
@Injectable()
export class InboxWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboxWorkers.name);
  private readonly workers: Worker[] = [];
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    private readonly registry: WebhookHandlerRegistry,
    private readonly dispatcher: WebhookDispatchProcessor,
    private readonly deliveries: HandlerDeliveryProcessor,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    const base = {
      connection: workerRedisOptions(this.options.redisUrl) as ConnectionOptions,
      prefix: this.options.queuePrefix,
    };
    this.start(
      new Worker<EventIdsJob>(DISPATCH_QUEUE, (job) => this.dispatcher.process(job.data.eventIds), { ...base, concurrency: 4 }),
    );
    for (const handler of this.registry.all()) {
      this.start(
        new Worker<EventIdsJob>(
          handlerQueueName(handler.name),
          (job: Job<EventIdsJob>) => this.deliveries.process(handler, job.data.eventIds, job.id!, this.shutdown.signal),
          {
            ...base,
            concurrency: handler.concurrency,
            limiter: handler.rateLimit ? { max: handler.rateLimit.max, duration: handler.rateLimit.durationMs } : undefined,
          },
        ),
      );
    }
    this.logger.log(`${this.workers.length} workers started (dispatch + ${this.registry.all().length} handlers)`);
  }

  get running(): readonly Worker[] {
    return this.workers;
  }

  private start(worker: Worker): void {
    worker.on('error', (error) => this.logger.error(`${worker.name}: ${error.message}`));
    worker.on('failed', (job, error) => this.logger.warn(`${worker.name} job ${job?.id} failed: ${error.message}`));
    this.workers.push(worker);
  }

  /**
   * Stop taking jobs, give running handlers SHUTDOWN_GRACE_MS to finish, then abort them (their
   * deliveries are claimed under the job id, so the job's next run takes them back).
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.workers.length === 0) return;
    const graceful = Promise.all(this.workers.map((worker) => worker.close()));
    const grace = this.options.shutdownGraceMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), grace)));
    if ((await Promise.race([graceful, expired])) === 'expired') {
      this.logger.warn(`handlers still running after ${grace} ms: aborting them`);
      this.shutdown.abort();
      await Promise.all(this.workers.map((worker) => worker.close(true)));
    }
    clearTimeout(timer);
  }
}
