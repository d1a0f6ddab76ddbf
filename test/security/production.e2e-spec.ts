import { spawnService, waitForOutput, type ServiceProcess } from '../support/infra/service-process.js';
import { queuePrefix } from '../support/run-env.js';
import { expectErrorShape, request } from '../support/raw-http.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus } from '../support/test-app.js';
import { AdminProbeModule } from './admin-probe.module.js';

/**
 * What production and development do differently at the edge: the built service
 * (`node dist/src/app/main.js`, as a user starts it) for the startup checks, the in-process app for
 * the answers.
 */
/** Long enough for production (32 characters or more). */
const LONG_KEY = 'prod-admin-key-0123456789abcdefghijklmnop';

const services = {
  DATABASE_URL: process.env.TEST_DATABASE_URL!,
  REDIS_URL: process.env.TEST_REDIS_URL!,
};

describe('starting in production', () => {
  it('refuses to start without WEBHOOK_SECRET: a clear message, exit 1, before touching anything', async () => {
    // Unreachable Postgres and Redis: the answer must come from the configuration check, which runs first.
    const service = spawnService({
      NODE_ENV: 'production',
      ADMIN_API_KEYS: `ops:${LONG_KEY}`,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(await service.exited).toBe(1);
    const output = service.output();
    expect(output).toMatch(
      /^Invalid configuration:\n {2}- WEBHOOK_SECRET: required when NODE_ENV=production \(the "whsec_\.\.\." signing secret/,
    );
    expect(output).not.toMatch(/\n\s+at |listening|Cannot reach/);
  });

  it('refuses a malformed secret the same way, without printing it', async () => {
    const service = spawnService({ ...services, NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_this-is-not-base64!' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/- WEBHOOK_SECRET: entry #1 of 1 is not valid base64/);
    expect(service.output()).not.toContain('this-is-not-base64');
  });

  it('refuses short admin keys, and never prints a key or a password while saying what is wrong', async () => {
    const service = spawnService({
      NODE_ENV: 'production',
      WEBHOOK_SECRET: newSecret(),
      ADMIN_API_KEYS: `ops:${LONG_KEY} ci:short-secret-value`,
      DATABASE_URL: 'mysql://app:db-password-1@db.internal/app',
      REDIS_URL: 'http://:redis-password-2@cache.internal:6379',
    });
    expect(await service.exited).toBe(1);
    const output = service.output();
    expect(output).toContain('- DATABASE_URL="mysql://app:****@db.internal/app": must be a postgres:// URL');
    expect(output).toContain('- REDIS_URL="http://:****@cache.internal:6379": must be a redis:// or rediss:// URL');
    expect(output).toMatch(/- ADMIN_API_KEYS: the key named ci has 18 characters; production needs at least 32/);
    for (const secret of ['db-password-1', 'redis-password-2', 'short-secret-value', LONG_KEY]) {
      expect(output).not.toContain(secret);
    }
  });
});

describe('starting without WEBHOOK_SECRET on a network address', () => {
  it('refuses to accept unsigned webhooks from the network: exit 1 and why', async () => {
    const service = spawnService({ ...services, NODE_ENV: 'development', HOST: '0.0.0.0' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(
      /- WEBHOOK_SECRET: not set, so webhooks would be accepted unsigned, which is allowed only while the service listens on loopback; HOST=0\.0\.0\.0 is reachable from other machines/,
    );
    expect(service.output()).not.toMatch(/listening on/);
  });
});

describe('serving in production with a secret and admin keys', () => {
  const secret = newSecret();
  const authorization = `Bearer ${LONG_KEY}`;
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { NODE_ENV: 'production', WEBHOOK_SECRET: secret, ADMIN_API_KEYS: `ops:${LONG_KEY}` },
    });
  });
  afterAll(async () => t?.close());

  it('serves /metrics only with an admin key', async () => {
    const anonymous = await request(t.url, { method: 'GET', path: '/metrics' });
    expect(anonymous.status).toBe(401);
    expectErrorShape(anonymous, 401);
    expect(anonymous.text).not.toContain('webhook_inbox_');
    expect(
      (await request(t.url, { method: 'GET', path: '/metrics', headers: { authorization: 'Bearer x' } })).status,
    ).toBe(401);
    const scraped = await request(t.url, { method: 'GET', path: '/metrics', headers: { authorization } });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('webhook_inbox_');
  });

  it('sends only the inbox test type as a test webhook, so an admin key cannot forge a business event', async () => {
    const send = (body: unknown) =>
      request(t.url, {
        path: '/admin/test-webhook',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const before = (await t.db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n;
    const forged = await send({ type: 'subscription_event_refund', data: { refund_id: 're_forged' } });
    expect(forged.status).toBe(400);
    expect(forged.json.message).toEqual([
      'type subscription_event_refund cannot be sent as a test webhook in production: only webhook_inbox.test (add types to TEST_WEBHOOK_TYPES to allow them)',
    ]);
    expect((await t.db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(before);

    const test = await send({});
    expect(test.status).toBe(200);
    expect(test.json).toMatchObject({ accepted: true, status: 200 });
    // Its built-in handler runs it here (and no later test's app finds it unfinished).
    await untilEventStatus(t.db, test.json.eventId, 'processed');
  });
});

describe('serving in production with METRICS_PUBLIC and TEST_WEBHOOK_TYPES', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        NODE_ENV: 'production',
        WEBHOOK_SECRET: newSecret(),
        ADMIN_API_KEYS: LONG_KEY,
        METRICS_PUBLIC: 'true',
        TEST_WEBHOOK_TYPES: 'staging.ping',
      },
    });
  });
  afterAll(async () => t?.close());

  it('serves /metrics to anyone, and sends the listed test types', async () => {
    expect((await request(t.url, { method: 'GET', path: '/metrics' })).status).toBe(200);
    const sent = await request(t.url, {
      path: '/admin/test-webhook',
      headers: { authorization: `Bearer ${LONG_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'staging.ping' }),
    });
    expect(sent.json).toMatchObject({ accepted: true, status: 200 });
  });
});

describe('serving in production with a secret and no ADMIN_API_KEYS', () => {
  const secret = newSecret();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      extraImports: [AdminProbeModule],
      env: { NODE_ENV: 'production', WEBHOOK_SECRET: secret },
    });
  });
  afterAll(async () => t?.close());

  it('refuses unsigned webhooks (401) and accepts signed ones', async () => {
    const body = JSON.stringify({ id: uniqueId('prod'), type: 'prod.test', data: {} });
    const unsigned = await request(t.url, { path: '/webhooks', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.check).toBe('missing_headers');
    const signed = await request(t.url, {
      path: '/webhooks',
      headers: { 'content-type': 'application/json', ...signedHeaders(secret, body) },
      body,
    });
    expect(signed.status).toBe(200);
  });

  it('keeps every admin URL closed with 503 saying how to enable it, whatever key is sent', async () => {
    for (const path of ['/admin/security-probe', '/admin/events', '/admin/queues', '/admin/anything']) {
      for (const authorization of [undefined, 'Bearer guessed-key']) {
        const response = await request(t.url, { method: 'GET', path, headers: authorization ? { authorization } : {} });
        expect({ path, status: response.status }).toEqual({ path, status: 503 });
        expectErrorShape(response, 503);
        expect(response.json.message).toMatch(/set ADMIN_API_KEYS to one or more space-separated random keys/);
      }
    }
  });
});

describe('starting in development without secrets or keys', () => {
  let service: ServiceProcess;
  let url: string;
  let key: string;

  beforeAll(async () => {
    service = spawnService({
      ...services,
      PORT: '0',
      HOST: '127.0.0.1',
      QUEUE_PREFIX: queuePrefix('dev'),
      LOG_LEVEL: 'info',
    });
    [, key] = await waitForOutput(service, /generated an admin key: (\S+)/);
    [, url] = await waitForOutput(service, /listening on (http:\/\/\S+)/);
  });
  afterAll(async () => {
    await service?.terminate(10_000);
  });

  it('prints a random admin key once at start, and that key opens /admin', async () => {
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(service.output().split(key).length - 1).toBe(1);
    const withKey = await request(url, {
      method: 'GET',
      path: '/admin/no-such-route',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(withKey.status).toBe(404); // past authentication
    const withoutKey = await request(url, { method: 'GET', path: '/admin/no-such-route' });
    expect(withoutKey.status).toBe(401);
  });

  it('accepts unsigned webhooks, saying so loudly at start and on every such request', async () => {
    expect(service.output()).toMatch(/WEBHOOK_SECRET is not set: webhooks are accepted WITHOUT signature verification/);
    for (let i = 0; i < 2; i++) {
      const body = JSON.stringify({ id: uniqueId('dev'), type: 'dev.test', data: {} });
      const response = await request(url, { path: '/webhooks', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
    }
    await waitForOutput(
      service,
      /UNSIGNED webhook accepted from 127\.0\.0\.1[\s\S]*UNSIGNED webhook accepted from 127\.0\.0\.1/,
      5000,
    );
  });

  it('logs every refusal at warn with the reason and the sender address', async () => {
    const response = await request(url, {
      path: '/webhooks',
      headers: { 'content-type': 'application/json' },
      body: '{"type":',
    });
    expect(response.status).toBe(400);
    await waitForOutput(service, /WARN.*Refused 400 POST \/webhooks from 127\.0\.0\.1: body is not valid JSON/, 5000);
  });
});
