import { ADMIN_ENV } from '../support/admin-client.js';
import { PrivateRedis } from '../support/infra/private-redis.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, waitFor } from '../support/test-app.js';

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
    let redis: PrivateRedis | undefined;
    let t: TestApp | undefined;

    afterAll(async () => {
      await t?.close();
      await redis?.destroy();
    });

    it('stays live but is not ready while Redis is gone, the metrics scrape still answers, and it is ready again when Redis is back', async () => {
      redis = await PrivateRedis.start();
      // API role: no workers, so the only Redis user is the producer connection the probe checks.
      t = await startTestApp({ env: { ...ADMIN_ENV, REDIS_URL: redis.url, APP_ROLE: 'api' } });
      expect((await json(`${t.url}/health/ready`)).status).toBe(200);

      await redis.kill9();

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

      await redis.start(); // on the same port
      await waitFor(async () => (await json(`${t!.url}/health/ready`)).status === 200, 10_000, 'ready again');
    });
  });
});
