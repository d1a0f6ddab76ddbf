import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InboxQueues } from '../inbox/inbox-queues.js';
import { EventStore } from '../inbox/store/event.store.js';

const MAX_IDS_PER_JOB = 500;
/** Shutdown waits for at most this many rounds of sending (each round empties what was waiting). */
const MAX_SHUTDOWN_ROUNDS = 20;

/**
 * Puts committed events on the dispatch queue, after their requests were answered. Like the
 * event writer's group commit, without a timer: one round of sending (dispatch jobs of up to 500
 * ids, then one UPDATE marking them queued) is in flight at a time, and the ids committed meanwhile
 * form the next round. At low load an id is queued at once; under load the jobs grow, so the
 * workers spend a few statements per hundreds of events rather than per handful. A failure here
 * loses nothing (the rows stay `received` and the relay queues them), so it is logged, never
 * surfaced to the sender.
 */
@Injectable()
export class EventEnqueuer implements OnApplicationShutdown {
  private readonly logger = new Logger(EventEnqueuer.name);
  private pending: string[] = [];
  private scheduled = false;
  private sending?: Promise<void>;

  constructor(
    private readonly queues: InboxQueues,
    private readonly events: EventStore,
  ) {}

  enqueue(eventId: string): void {
    this.pending.push(eventId);
    if (this.scheduled || this.sending) return;
    // The ids of every batch that commits in this tick travel together.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startRound();
    });
  }

  /** Ids waiting for the current round to finish, for metrics. */
  get waiting(): number {
    return this.pending.length;
  }

  private startRound(): void {
    if (this.sending || this.pending.length === 0) return;
    const ids = this.pending;
    this.pending = [];
    this.sending = this.send(ids).finally(() => {
      this.sending = undefined;
      this.startRound();
    });
  }

  private async send(ids: string[]): Promise<void> {
    const jobs: Promise<string[]>[] = [];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_JOB) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_JOB);
      jobs.push(this.queues.dispatch(chunk).then(() => chunk));
    }
    const queued: string[] = [];
    for (const outcome of await Promise.allSettled(jobs)) {
      if (outcome.status === 'fulfilled') queued.push(...outcome.value);
      else this.logger.warn(`could not queue a batch of events, the relay will: ${(outcome.reason as Error).message}`);
    }
    if (queued.length === 0) return;
    await this.events
      .markQueued(queued)
      .catch((error: Error) => this.logger.warn(`could not mark ${queued.length} event(s) queued: ${error.message}`));
  }

  /** Lets enqueues already started finish, and sends what is still waiting, so a deploy leaves no work for the relay. */
  async onApplicationShutdown(): Promise<void> {
    for (let round = 0; round < MAX_SHUTDOWN_ROUNDS && (this.sending || this.pending.length > 0); round++) {
      this.startRound();
      await this.sending;
    }
  }
}
