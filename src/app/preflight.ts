import { Redis } from 'ioredis';
import pg from 'pg';
import { AppConfig, maskUrl } from './config/app-config.js';
import { redisOptionsFromUrl } from '../shared/redis-connection.js';

/** Checks that Postgres and Redis answer; returns a one-line explanation of the first that does not. */
export async function preflight(config: AppConfig): Promise<string | undefined> {
  const server = new URL(config.DATABASE_URL);
  server.pathname = '/postgres'; // the app's own database may not exist yet: it is created at start
  const client = new pg.Client({ connectionString: server.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    return (
      `Cannot reach Postgres at ${maskUrl(config.DATABASE_URL)} (${reason(error)}). ` +
      'Start it (docker compose up -d postgres, or: pg_ctlcluster <version> main start) or set DATABASE_URL.'
    );
  } finally {
    await client.end().catch(() => undefined);
  }

  const redis = new Redis({
    ...redisOptionsFromUrl(config.REDIS_URL),
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis rejects connect() with a generic "Connection is closed"; the cause comes as an event.
  let cause: unknown;
  redis.on('error', (error) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return (
      `Cannot reach Redis at ${maskUrl(config.REDIS_URL)} (${reason(cause ?? error)}). ` +
      'Start it (docker compose up -d redis, or: redis-server --daemonize yes) or set REDIS_URL.'
    );
  } finally {
    redis.disconnect();
  }
  return undefined;
}

function reason(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code ?? message ?? String(error);
}
