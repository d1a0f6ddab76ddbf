export const WEBHOOK_INBOX_OPTIONS = Symbol('WEBHOOK_INBOX_OPTIONS');
/** The producer's Redis connection, shared by every queue this process adds jobs to. */
export const INBOX_REDIS = Symbol('INBOX_REDIS');

export interface WebhookInboxOptions {
  /** redis:// or rediss:// URL for the queues. */
  redisUrl: string;
  /** BullMQ key prefix: one per deployment (and per test run). Use a {hash tag} on Redis Cluster. */
  queuePrefix?: string;
  /** Run the BullMQ workers and the relay in this process (false for an API-only replica). */
  runWorkers?: boolean;
  /** How long running handlers may take to finish on shutdown before the workers are closed anyway. */
  shutdownGraceMs?: number;
  signing?: {
    /** whsec_ secrets; any one of them may sign (rotation). Empty → unsigned requests accepted. */
    secrets: string[];
    toleranceSeconds?: number;
  };
  relay?: {
    /** How often the relay looks for committed events that never reached the queue. Default 1000 ms. */
    intervalMs?: number;
    /** How old an un-queued event must be before the relay takes it over from ingestion. Default 3000 ms. */
    graceMs?: number;
  };
  ingestion?: {
    /** Most events written by one INSERT. Default 500. */
    maxBatchSize?: number;
    /**
     * INSERTs in flight at once; new requests form the next batch meanwhile. Default 1: every
     * commit waits for a WAL flush anyway, and one statement in flight makes the batches largest
     * (measured: about half the CPU per event of 2 on the 2-core bench machine; see bench/).
     */
    maxConcurrentBatches?: number;
  };
}
