import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../../src/app/app.factory.js';
import { loadConfig } from '../../src/app/config/app-config.js';
import { InboxQueues } from '../../src/inbox/inbox-queues.js';
import { queuePrefix as newQueuePrefix } from './run-env.js';
import { waitFor } from './wait.js';

export { waitFor };

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  /** A separate connection to the run's database, for assertions. */
  db: pg.Pool;
  queuePrefix: string;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Boots the real service (same factory as main.ts) on a free port against the run's Postgres
 * database and Redis, under a queue prefix of its own. Nothing is mocked.
 */
export async function startTestApp(
  options: { extraImports?: NonNullable<ModuleMetadata['imports']>; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const queuePrefix = options.env?.QUEUE_PREFIX ?? newQueuePrefix();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: process.env.TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    SHUTDOWN_GRACE_MS: '2000',
    ...options.env,
  });
  const app = await createApp(config, { extraImports: options.extraImports });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const protocol = config.TLS_CERT_FILE ? 'https' : 'http';
  const url = `${protocol}://127.0.0.1:${address.port}`;
  const db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 4 });

  return {
    app,
    url,
    db,
    queuePrefix,
    async post(body, headers = {}) {
      const response = await fetch(`${url}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: await readBody(response), headers: response.headers };
    },
    async close() {
      await app.close();
      await db.end();
    },
  };
}

/** The stored status of an event (undefined when there is no such row). */
export async function eventStatus(db: Pick<pg.Pool, 'query'>, id: string): Promise<string | undefined> {
  return (await db.query('SELECT status FROM webhook_events WHERE id = $1', [id])).rows[0]?.status;
}

/** Waits until the event has `status`. */
export function untilEventStatus(db: Pick<pg.Pool, 'query'>, id: string, status: string, timeoutMs = 15_000) {
  return waitFor(async () => (await eventStatus(db, id)) === status, timeoutMs, `event ${id} to be ${status}`);
}

/**
 * Waits until none of the app's queues holds a job still to run (waiting, delayed, prioritized or
 * active): whatever the app had been asked to do, it has done.
 */
export function untilQueuesIdle(app: INestApplication, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const counts = await Promise.all(
        app
          .get(InboxQueues)
          .allQueues()
          .map((queue) => queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active')),
      );
      return counts.every((count) => Object.values(count).every((n) => n === 0));
    },
    timeoutMs,
    'every queue to be idle',
  );
}

/** The body of a response: parsed JSON, or the text when it is not JSON. */
export async function readBody(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let counter = 0;
/** A unique event id for this run. */
export const uniqueId = (prefix = 'evt') =>
  `${prefix}_${process.env.TEST_RUN_ID}_${++counter}_${randomUUID().slice(0, 8)}`;
