import { Inject, Injectable } from '@nestjs/common';
import { EventStore, type NewEvent } from '../inbox/store/event.store.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';

export type EventToWrite = NewEvent;

export interface WriteResult {
  /** The inbox id: the new row's, or the original's for a duplicate. */
  id: string;
  duplicate: boolean;
}

/** The database refused this event's content (not the database being down): answer 4xx, not 5xx. */
export class UnstorableEventError extends Error {
  constructor(readonly reason: string) {
    super(`the event cannot be stored: ${reason}`);
    this.name = 'UnstorableEventError';
  }
}

/** Counters for metrics, tests and the benchmark: how well requests are being grouped. */
export interface EventWriterStats {
  /** Batches committed (or refused); a batch retried row by row counts once, its rows too. */
  batches: number;
  /** Requests those batches answered. */
  events: number;
  /** Statements sent to Postgres. */
  statements: number;
  largestBatch: number;
}

interface PendingWrite {
  event: EventToWrite;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

const keyOf = (source: string, externalId: string) => `${source}\u0000${externalId}`;

/**
 * Group commit: concurrent requests share one multi-row statement. While a batch is being written
 * the next one fills up (no timer, no fixed wait), and each caller is answered when its batch has
 * committed. This is the one place that decides "new or duplicate": copies inside a batch are
 * folded here, copies across batches and replicas by the unique key in the same statement.
 */
@Injectable()
export class EventWriter {
  private queue: PendingWrite[] = [];
  private inFlight = 0;
  readonly stats: EventWriterStats = { batches: 0, events: 0, statements: 0, largestBatch: 0 };
  readonly maxBatchSize: number;
  /**
   * One statement in flight by default: a commit waits for its WAL flush whatever its size, so
   * letting every request that arrives meanwhile join the next statement gives the fewest flushes
   * and statements per event (measured in bench/: about 2/3 of the CPU per event of 2).
   */
  readonly maxConcurrentBatches: number;

  constructor(
    private readonly store: EventStore,
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
  ) {
    this.maxBatchSize = options.ingestion.maxBatchSize;
    this.maxConcurrentBatches = options.ingestion.maxConcurrentBatches;
  }

  write(event: EventToWrite): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.drain();
    });
  }

  /** Requests waiting for a batch, for metrics. */
  get waiting(): number {
    return this.queue.length;
  }

  private drain(): void {
    while (this.inFlight < this.maxConcurrentBatches && this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatchSize ? this.queue : this.queue.slice(0, this.maxBatchSize);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatchSize);
      this.inFlight++;
      this.stats.batches++;
      this.stats.events += batch.length;
      if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    try {
      await this.commitBatch(batch);
    } catch (error) {
      if (!isDataError(error) || batch.length === 1) {
        const failure = isDataError(error) ? new UnstorableEventError((error as Error).message) : error;
        for (const pending of batch) pending.reject(failure);
        return;
      }
      // One event's content broke the whole statement: write them one by one so that only that
      // event is refused and the others are still committed.
      await Promise.all(batch.map((pending) => this.commit([pending])));
    }
  }

  private async commitBatch(batch: PendingWrite[]): Promise<void> {
    // Fold copies inside the batch: the first is written, the rest follow its answer as duplicates.
    const leaders = new Map<string, PendingWrite[]>();
    const unique: EventToWrite[] = [];
    for (const pending of batch) {
      const key = keyOf(pending.event.source, pending.event.externalId);
      const group = leaders.get(key);
      if (group) {
        group.push(pending);
      } else {
        leaders.set(key, [pending]);
        unique.push(pending.event);
      }
    }

    this.stats.statements++;
    const written = await this.store.insertBatch(unique);
    const results = new Map<string, WriteResult>();
    for (const row of written)
      results.set(keyOf(row.source, row.external_id), { id: row.id, duplicate: row.duplicate });

    if (results.size < leaders.size) {
      const missing = unique.filter((e) => !results.has(keyOf(e.source, e.externalId)));
      this.stats.statements++;
      // Committed by a racing writer while our INSERT waited on its lock: a new statement sees them.
      const found = await this.store.findByKeys(missing);
      for (const row of found) results.set(keyOf(row.source, row.external_id), { id: row.id, duplicate: true });
    }

    for (const [key, group] of leaders) {
      const result = results.get(key);
      if (!result) {
        // Deleted between the two statements (retention): never answer 2xx without a row.
        for (const pending of group) pending.reject(new Error('event vanished while being de-duplicated; retry'));
        continue;
      }
      group.forEach((pending, index) => pending.resolve(index === 0 ? result : { id: result.id, duplicate: true }));
    }
  }
}

/**
 * The content, not the database, is at fault: SQLSTATE class 22 (data exception: an escape jsonb
 * refuses, a number beyond numeric's range) or 54001 (JSON nested deeper than Postgres parses).
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54001');
}
