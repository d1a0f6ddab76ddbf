import { ADMIN_ENV } from '../support/admin-client.js';
import { PrivateRedis } from '../support/infra/private-redis.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, waitFor } from '../support/test-app.js';

const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as { status: string } & Record<string, unknown> };
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
    let redis: PrivateRedis | undefined;
    const apps: TestApp[] = [];

    afterAll(async () => {
      for (const app of apps) await app.close();
      await redis?.destroy();
    });

    it('keeps an api ready (Redis degraded), makes a worker unready, keeps both live and the scrape answering, then recovers', async () => {
      redis = await PrivateRedis.start();
      // An api acknowledges webhooks without Redis; a worker cannot do its job without it.
      const api = await startTestApp({ env: { ...ADMIN_ENV, REDIS_URL: redis.url, APP_ROLE: 'api' } });
      apps.push(api);
      const worker = await startTestApp({ env: { ...ADMIN_ENV, REDIS_URL: redis.url, APP_ROLE: 'worker' } });
      apps.push(worker);
      for (const t of apps) {
        const ready = await json(`${t.url}/health/ready`);
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({
          status: 'ok',
          details: { redis: { status: 'up' }, postgres: { status: 'up' } },
        });
      }

      await redis.kill9();

      const started = Date.now();
      const apiReady = await json(`${api.url}/health/ready`);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(apiReady.status).toBe(200);
      expect(apiReady.body).toMatchObject({
        status: 'degraded',
        details: { redis: { status: 'degraded', required: false }, postgres: { status: 'up' } },
      });
      // And it does acknowledge a webhook meanwhile.
      expect((await api.post({ id: `evt_redis_down_${Date.now()}`, type: 'test.unhandled', data: {} })).status).toBe(
        200,
      );

      const workerReady = await json(`${worker.url}/health/ready`);
      expect(workerReady.status).toBe(503);
      expect(workerReady.body).toMatchObject({
        statusCode: 503,
        details: { redis: { status: 'down', required: true }, postgres: { status: 'up' } },
      });
      for (const t of apps) expect(await json(`${t.url}/health/live`)).toMatchObject({ status: 200 });

      const scrape = await fetch(`${api.url}/metrics`);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toMatch(/^webhook_inbox_source_up\{source="redis"\} 0$/m);
      expect(text).toMatch(/^webhook_inbox_source_up\{source="postgres"\} 1$/m);
      expect(text).not.toMatch(/^webhook_inbox_queue_jobs\{/m);
      expect(text).toMatch(/^webhook_inbox_events_unfinished \d+/m); // Postgres still answers

      await redis.start(); // on the same port
      await waitFor(
        async () => (await json(`${worker.url}/health/ready`)).status === 200,
        10_000,
        'the worker ready again',
      );
      await waitFor(
        async () => (await json(`${api.url}/health/ready`)).body.status === 'ok',
        10_000,
        'the api ok again',
      );
    }, 60_000);
  });
});
