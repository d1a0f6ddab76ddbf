import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConnectionOptions, DelayedError, Job, Worker, WorkerOptions } from 'bullmq';
import { workerRedisOptions } from '../../shared/redis-connection.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { DeliveryRun } from './delivery-run.js';
import { HandlerDeliveryProcessor } from './handler-delivery.processor.js';
import { DISPATCH_QUEUE, EventIdsJob, handlerQueueName } from '../../inbox/inbox-queues.js';
import { PostgresAvailability } from './postgres-availability.js';
import { ThrottledErrorLog } from './queue-error-log.js';
import { WebhookDispatchProcessor } from '../dispatch/webhook-dispatch.processor.js';
import { WebhookHandlerRegistry } from '../discovery/webhook-handler.registry.js';

/**
 * Crash recovery. A worker that dies (kill -9, OOM) stops renewing its jobs' locks and its
 * deliveries' leases; after LOCK_DURATION_MS another worker's stalled check (every
 * STALLED_INTERVAL_MS) puts the job back, and its next run (a new run, with a token of its own)
 * takes over the deliveries whose lease has passed (DELIVERY_LEASE_MS, no longer than the lock).
 * So a handler interrupted mid-run runs again within about 20 s. BullMQ's defaults (30 s + 30 s)
 * would double that; shorter locks would risk re-running healthy jobs on a slow event loop (the
 * leases keep that from running a delivery twice at once, but it is wasted work).
 */
const LOCK_DURATION_MS = 15_000;
const STALLED_INTERVAL_MS = 5_000;
/** A job may be recovered this often; past it, it fails and the relay recovers its deliveries. */
const MAX_STALLED_COUNT = 3;
/** A job that found Postgres unreachable waits this long (without using an attempt) before its next try. */
const RETRY_WHILE_DATABASE_DOWN_MS = 2_000;

/**
 * Starts the BullMQ workers: one for dispatch, one per handler (its own concurrency and rate
 * limit, so a slow or failing handler never holds up another). Started in onApplicationBootstrap,
 * i.e. only after the registry was filled in onModuleInit, and only in processes that run workers.
 * The handler queues are named after the discovered handlers, which is why these workers are made
 * here rather than declared with @Processor.
 *
 * While Postgres is unreachable the workers are paused (they take no new jobs), and a job that
 * failed because of it goes back to the queue without using an attempt.
 */
@Injectable()
export class InboxWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboxWorkers.name);
  private readonly errors = new ThrottledErrorLog(this.logger);
  private readonly workers: Worker[] = [];
  private readonly shutdown = new AbortController();
  private closing = false;
  private pausedForDatabase = false;
  /** Pauses and resumes run one after the other, in the order the availability changed. */
  private pausing: Promise<void> = Promise.resolve();
  private unsubscribe?: () => void;

  constructor(
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
    private readonly registry: WebhookHandlerRegistry,
    private readonly dispatcher: WebhookDispatchProcessor,
    private readonly deliveries: HandlerDeliveryProcessor,
    private readonly database: PostgresAvailability,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    const base: Partial<WorkerOptions> = {
      connection: workerRedisOptions(this.options.redisUrl) as ConnectionOptions,
      prefix: this.options.queuePrefix,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
    };
    this.start(
      new Worker<EventIdsJob>(
        DISPATCH_QUEUE,
        this.unlessDatabaseDown((job) => this.dispatcher.process(job.data.eventIds)),
        { ...base, concurrency: 4 } as WorkerOptions,
      ),
    );
    for (const handler of this.registry.all()) {
      // One DeliveryRun per run of a job, known by job id while it lasts: a job whose lock BullMQ
      // could not renew (another worker may run it now) stops before its next delivery.
      const runs = new Map<string, DeliveryRun>();
      const run = async (job: Job<EventIdsJob>) => {
        const delivery = new DeliveryRun(job.id!, this.shutdown.signal);
        runs.set(job.id!, delivery);
        try {
          await this.deliveries.process(handler, job.data.eventIds, delivery);
        } finally {
          if (runs.get(job.id!) === delivery) runs.delete(job.id!);
        }
      };
      const worker = new Worker<EventIdsJob>(handlerQueueName(handler.name), this.unlessDatabaseDown(run), {
        ...base,
        concurrency: handler.concurrency,
        limiter: handler.rateLimit ? { max: handler.rateLimit.max, duration: handler.rateLimit.durationMs } : undefined,
      } as WorkerOptions);
      worker.on('lockRenewalFailed', (jobIds) => {
        for (const jobId of jobIds) runs.get(jobId)?.lose('the job lock could not be renewed');
      });
      this.start(worker);
    }
    this.unsubscribe = this.database.onChange((available) => this.pauseForDatabase(!available));
    this.logger.log(`${this.workers.length} workers started (dispatch + ${this.registry.all().length} handlers)`);
  }

  get running(): readonly Worker[] {
    return this.workers;
  }

  /** True while the workers are paused because Postgres is unreachable. */
  get paused(): boolean {
    return this.pausedForDatabase;
  }

  private start(worker: Worker): void {
    worker.on('error', (error) => this.errors.report(worker.name, error));
    worker.on('failed', (job, error) => this.logger.warn(`${worker.name} job ${job?.id} failed: ${error.message}`));
    this.workers.push(worker);
  }

  /**
   * A job whose bookkeeping failed because Postgres did not answer is not at fault: it goes back
   * to the delayed set with its attempt count unchanged (BullMQ's DelayedError), and the workers
   * pause until Postgres answers. Its claimed deliveries wait for it under its job id.
   */
  private unlessDatabaseDown(work: (job: Job<EventIdsJob>) => Promise<void>) {
    const putBack = async (job: Job<EventIdsJob>, token: string): Promise<never> => {
      await job.moveToDelayed(Date.now() + RETRY_WHILE_DATABASE_DOWN_MS, token);
      throw new DelayedError();
    };
    return async (job: Job<EventIdsJob>, token?: string): Promise<void> => {
      // A fetch already in flight when the workers paused can still hand over a job: put it back untouched.
      if (token && !this.database.available) return putBack(job, token);
      try {
        await work(job);
      } catch (error) {
        if (!token || !isDatabaseUnavailable(error)) throw error;
        this.database.reportUnavailable(error);
        return putBack(job, token);
      }
    };
  }

  private pauseForDatabase(pause: boolean): void {
    this.pausing = this.pausing
      .then(async () => {
        if (this.closing || pause === this.pausedForDatabase) return;
        this.pausedForDatabase = pause;
        // pause(true): stop fetching now; running jobs finish (or fail) on their own.
        if (pause) await Promise.all(this.workers.map((worker) => worker.pause(true)));
        else await Promise.all(this.workers.map((worker) => worker.resume()));
        this.logger.log(pause ? 'workers paused until Postgres answers' : 'workers resumed');
      })
      .catch((error: Error) =>
        this.logger.error(`could not ${pause ? 'pause' : 'resume'} the workers: ${error.message}`),
      );
  }

  /**
   * Stop taking jobs, give running handlers SHUTDOWN_GRACE_MS to finish, then abort them (their
   * deliveries are claimed under the job id, so the job's next run takes them back).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.unsubscribe?.();
    await this.pausing;
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
