import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { spawnService, waitForOutput, type ServiceProcess } from '../../support/spawn-service.js';

/** The built service (`node dist/src/app/main.js`) as a real process, on the given database. */
export async function startService(
  databaseUrl: string,
  queuePrefix: string,
  env: Record<string, string>,
): Promise<{ service: ServiceProcess; url: string }> {
  const service = spawnService({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    QUEUE_PREFIX: queuePrefix,
    ...env,
  });
  const [, url] = await waitForOutput(service, /listening on (http:\/\/\S+)/);
  return { service, url };
}

export const queuePrefix = (name: string) => `${process.env.TEST_QUEUE_PREFIX}-${name}-${randomUUID().slice(0, 8)}`;

/**
 * Holds the lock the example subscription handlers take first (SubscriptionLedger.lock), so that
 * a handler for this subscription stops mid-transaction until release().
 */
export async function holdSubscriptionLock(db: pg.Pool, subscriptionId: string) {
  const client = await db.connect();
  await client.query(`SELECT pg_advisory_lock(hashtextextended('subscription:' || $1, 0))`, [subscriptionId]);
  return {
    /** True once some session waits for an advisory lock (the handler, mid-run). */
    async someoneWaits(): Promise<boolean> {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return rows[0].n > 0;
    },
    async release(): Promise<void> {
      await client.query('SELECT pg_advisory_unlock_all()');
      client.release();
    },
  };
}

/** A POST whose headers (and the first bytes of its body) are sent now, the rest on finish(). */
export function startSlowPost(url: string, body: string) {
  const split = Math.floor(body.length / 2);
  const req = request(`${url}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
  });
  req.write(body.slice(0, split));
  return {
    answer,
    finish: () => req.end(body.slice(split)),
  };
}
