import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { WebhookHandlerRegistry } from '../discovery/webhook-handler.registry.js';

/** The same error from the same source is logged at most once in this period. */
const REPEAT_AFTER_MS = 30_000;

/**
 * While Redis is down every queue and worker reports each failed reconnect; one line per source
 * per error (and again every 30 s while it lasts) says the same without flooding the log.
 */
export class ThrottledErrorLog {
  private readonly last = new Map<string, { message: string; at: number }>();

  constructor(private readonly logger: Logger) {}

  report(source: string, error: Error): void {
    const previous = this.last.get(source);
    const now = Date.now();
    if (previous && previous.message === error.message && now - previous.at < REPEAT_AFTER_MS) return;
    this.last.set(source, { message: error.message, at: now });
    this.logger.error(`${source}: ${error.message}`);
  }
}

/**
 * Creates every queue this process may add jobs to at start, while Redis is known to answer (a
 * BullMQ queue created during an outage would wait for Redis before its first command, stalling
 * whoever adds to it), and gives each an error listener: without one BullMQ prints a stack trace
 * for every failed reconnect.
 */
@Injectable()
export class QueueErrorLog implements OnApplicationBootstrap {
  private readonly log = new ThrottledErrorLog(new Logger('InboxQueues'));

  constructor(
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    for (const handler of this.registry.all()) this.queues.queueFor(handler.name);
    for (const queue of this.queues.allQueues()) {
      if (queue.listenerCount('error') === 0)
        queue.on('error', (error: Error) => this.log.report(`queue ${queue.name}`, error));
    }
  }
}
