import { ConfigurableModuleBuilder } from '@nestjs/common';
import { parseWebhookSecrets } from '../shared/signature/standard-webhooks.verifier.js';
import type { WebhookSource } from '../shared/sources/webhook-source.js';

/** What `WebhookInboxModule.forRoot` / `forRootAsync` take. */
export interface WebhookInboxModuleOptions {
  /** redis:// or rediss:// URL for the queues. */
  redisUrl: string;
  /** BullMQ key prefix: one per deployment (and per test run). Use a {hash tag} on Redis Cluster. Default `webhook-inbox`. */
  queuePrefix?: string;
  /** Run the BullMQ workers, the relay and retention in this process (false for an API-only replica). Default true. */
  runWorkers?: boolean;
  /** How long running handlers may take to finish on shutdown before they are aborted. Default 10 000 ms. */
  shutdownGraceMs?: number;
  signing?: {
    /** whsec_ secrets; any one of them may sign (rotation). Empty → unsigned requests accepted. */
    secrets: string[];
    /** How far a webhook-timestamp may be from now, either way. Default 300 s. */
    toleranceSeconds?: number;
    /** Signature failures one address may make per window before its failures get 429. Default 10. */
    failureLimit?: number;
    /** Default 60 s. */
    failureWindowSeconds?: number;
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
     * (measured: about half the CPU per event of 2 on the 2-core bench machine; see docs/performance.md).
     */
    maxConcurrentBatches?: number;
    /**
     * How long an acknowledgement waits for its commit before it answers 503 (Retry-After): with
     * Postgres hung rather than down, the sender hears back within this. Default 2000 ms.
     */
    ackTimeoutMs?: number;
    /**
     * JSON limits, checked over the raw bytes after the signature and before the body is parsed:
     * deepest nesting of objects and arrays (default 64), object keys in the whole body (default
     * 10 000), array items in the whole body (default 10 000). A body past one is refused (400).
     */
    jsonMaxDepth?: number;
    jsonMaxKeys?: number;
    jsonMaxArrayItems?: number;
  };
  /** Processed and ignored events older than this are deleted hourly. Default 30. */
  retentionDays?: number;
  /** The URL the provider posts to, for the test webhook; defaults to this process. */
  publicUrl?: string;
  /** More senders, each at POST /webhooks/<name> with its own verifier (see resolveWebhookSource). */
  sources?: WebhookSource[];
}

/** The options with every default applied and the signing secrets parsed, once, at boot. */
export interface WebhookInboxOptions extends Required<
  Omit<WebhookInboxModuleOptions, 'signing' | 'relay' | 'ingestion' | 'publicUrl' | 'sources'>
> {
  sources: WebhookSource[];
  publicUrl?: string;
  signing: {
    /** The secrets as given (the test-webhook sender signs with the first). */
    secrets: string[];
    /** The same secrets, decoded. */
    keys: Buffer[];
    toleranceSeconds: number;
    failureLimit: number;
    failureWindowSeconds: number;
  };
  relay: Required<NonNullable<WebhookInboxModuleOptions['relay']>>;
  ingestion: Required<NonNullable<WebhookInboxModuleOptions['ingestion']>>;
}

export const {
  ConfigurableModuleClass: ConfigurableWebhookInboxModule,
  MODULE_OPTIONS_TOKEN: WEBHOOK_INBOX_MODULE_OPTIONS,
  OPTIONS_TYPE: WEBHOOK_INBOX_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: WEBHOOK_INBOX_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WebhookInboxModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createWebhookInboxOptions')
  .build();

/** Injection token of the resolved WebhookInboxOptions. */
export const WEBHOOK_INBOX_OPTIONS = Symbol('WEBHOOK_INBOX_OPTIONS');
/** The producer's Redis connection, shared by every queue this process adds jobs to. */
export const INBOX_REDIS = Symbol('INBOX_REDIS');
/** The @nestjs/bullmq configuration key of the inbox, so a host app's own BullModule.forRoot stays its own. */
export const INBOX_BULL_CONFIG = 'webhook-inbox';

/** Applies the defaults; throws on a malformed secret, so that a bad one stops the boot. */
export function resolveInboxOptions(options: WebhookInboxModuleOptions): WebhookInboxOptions {
  const secrets = options.signing?.secrets.filter((secret) => secret.length > 0) ?? [];
  return {
    redisUrl: options.redisUrl,
    queuePrefix: options.queuePrefix ?? 'webhook-inbox',
    runWorkers: options.runWorkers ?? true,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    retentionDays: options.retentionDays ?? 30,
    publicUrl: options.publicUrl,
    sources: options.sources ?? [],
    signing: {
      secrets,
      keys: parseWebhookSecrets(secrets.join(' ')),
      toleranceSeconds: options.signing?.toleranceSeconds ?? 300,
      failureLimit: options.signing?.failureLimit ?? 10,
      failureWindowSeconds: options.signing?.failureWindowSeconds ?? 60,
    },
    relay: { intervalMs: options.relay?.intervalMs ?? 1000, graceMs: options.relay?.graceMs ?? 3000 },
    ingestion: {
      maxBatchSize: options.ingestion?.maxBatchSize ?? 500,
      maxConcurrentBatches: options.ingestion?.maxConcurrentBatches ?? 1,
      ackTimeoutMs: options.ingestion?.ackTimeoutMs ?? 2000,
      jsonMaxDepth: options.ingestion?.jsonMaxDepth ?? 64,
      jsonMaxKeys: options.ingestion?.jsonMaxKeys ?? 10_000,
      jsonMaxArrayItems: options.ingestion?.jsonMaxArrayItems ?? 10_000,
    },
  };
}
