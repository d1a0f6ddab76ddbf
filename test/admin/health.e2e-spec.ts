import { ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, waitFor } from '../support/test-app.js';
import { ADMIN_ENV } from './support/admin-client.js';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** True once something accepts TCP connections on the port (the socket is closed at once). */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

describe('health: liveness and readiness (@nestjs/terminus)', () => {
  it('is live and ready with Postgres and Redis up', async () => {
    const t = await startTestApp({ env: ADMIN_ENV });
    try {
      expect(await json(`${t.url}/health/live`)).toEqual({
        status: 200,
        body: expect.objectContaining({ status: 'ok' }),
      });
      const ready = await json(`${t.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    } finally {
      await t.close();
    }
  });

  describe('with a private Redis that is then stopped', () => {
    let redis: ChildProcess | undefined;
    let t: TestApp | undefined;

    const startRedis = (port: number) =>
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });

    afterAll(async () => {
      await t?.close();
      if (redis && redis.exitCode === null) {
        redis.kill('SIGKILL');
        await new Promise((resolve) => redis!.once('exit', resolve));
      }
    });

    it('stays live but is not ready while Redis is gone, the metrics scrape still answers, and it is ready again when Redis is back', async () => {
      const port = await freePort();
      redis = startRedis(port);
      const redisUrl = `redis://127.0.0.1:${port}`;
      await waitFor(() => listening(port), 5000, 'redis to listen');
      // API role: no workers, so the only Redis user is the producer connection the probe checks.
      t = await startTestApp({ env: { ...ADMIN_ENV, REDIS_URL: redisUrl, APP_ROLE: 'api' } });
      expect((await json(`${t.url}/health/ready`)).status).toBe(200);

      redis.kill('SIGKILL');
      await new Promise((resolve) => redis!.once('exit', resolve));

      const started = Date.now();
      const ready = await json(`${t.url}/health/ready`);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        statusCode: 503,
        details: { redis: { status: 'down' }, postgres: { status: 'up' } },
      });
      expect(await json(`${t.url}/health/live`)).toMatchObject({ status: 200 });

      const scrape = await fetch(`${t.url}/metrics`);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toMatch(/^webhook_inbox_source_up\{source="redis"\} 0$/m);
      expect(text).toMatch(/^webhook_inbox_source_up\{source="postgres"\} 1$/m);
      expect(text).not.toMatch(/^webhook_inbox_queue_jobs\{/m);
      expect(text).toMatch(/^webhook_inbox_events_unfinished \d+/m); // Postgres still answers

      redis = startRedis(port);
      await waitFor(async () => (await json(`${t!.url}/health/ready`)).status === 200, 10_000, 'ready again');
    });
  });
});
