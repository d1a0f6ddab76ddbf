import type { RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not URLs). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * Reconnect quickly and keep trying every second while Redis is away: the sooner a connection is
 * back, the sooner the relay queues the events committed meanwhile (the bound is 10 s).
 */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1000);

/**
 * For the connection that adds jobs while answering webhooks: no offline queue (a dead Redis fails
 * the enqueue at once instead of buffering in memory) and bounded commands. A failed enqueue is
 * harmless: the event is already committed and the relay queues it later.
 */
export function producerRedisOptions(url: string): RedisOptions {
  return {
    ...redisOptionsFromUrl(url),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    connectTimeout: 3000,
    retryStrategy: reconnectDelay,
  };
}

/**
 * For workers: BullMQ requires maxRetriesPerRequest null on blocking connections. Commands wait
 * for a reconnect here (the offline queue stays on): a worker has nothing better to do meanwhile.
 */
export function workerRedisOptions(url: string): RedisOptions {
  return {
    ...redisOptionsFromUrl(url),
    maxRetriesPerRequest: null,
    connectTimeout: 3000,
    retryStrategy: reconnectDelay,
  };
}
