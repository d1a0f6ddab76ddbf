import { jest } from '@jest/globals';
import { HttpException, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { resolveAdminAccess, type AdminAccess } from '../admin/auth/admin-keys.js';
import { ADMIN_SESSION_COOKIE, issueAdminSession } from '../admin/auth/admin-session.js';
import { announceAdminAccess, registerEdgeSecurity } from './edge-security.js';

/**
 * The hook on a bare Fastify instance, with routes registered the three ways the app has them:
 * plain routes (Nest's), a prefixed plugin registered after the hook (the queue dashboard), and
 * unmatched URLs.
 */
async function server(
  access: AdminAccess,
  protectMetrics = false,
): Promise<{ fastify: FastifyInstance; base: string }> {
  const fastify = Fastify();
  registerEdgeSecurity(
    { getHttpAdapter: () => ({ getInstance: () => fastify }) } as unknown as NestFastifyApplication,
    { access, protectMetrics },
  );
  // What Nest's exception layer does with a thrown HttpException.
  fastify.setErrorHandler((error, _request, reply) => {
    const status = error instanceof HttpException ? error.getStatus() : 500;
    void reply.code(status).send(error instanceof HttpException ? error.getResponse() : { message: 'internal' });
  });
  fastify.post('/webhooks', async () => ({ received: true }));
  fastify.get('/admin/events', async () => ({ events: [] }));
  fastify.delete('/admin/events', async () => ({ deleted: 0 }));
  fastify.get('/admin/login', async () => 'login form');
  fastify.get('/metrics', async () => 'metrics');
  fastify.get('/docs-json', async () => ({ openapi: '3.0.0' }));
  await fastify.register(
    async (board) => {
      board.get('/', async () => 'dashboard');
      board.get('/api/queues', async () => ({ queues: [] }));
    },
    { prefix: '/admin/queues' },
  );
  // Real HTTP (fastify.inject needs an ESM-only package Jest cannot load here).
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  return { fastify, base: `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}` };
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json: () => any;
}

async function send(
  base: string,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const response = await fetch(`${base}${url}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers),
    body: text,
    json: () => JSON.parse(text),
  };
}

describe('registerEdgeSecurity', () => {
  const access = resolveAdminAccess({ ADMIN_API_KEYS: 'ops:the-admin-key', NODE_ENV: 'production' });
  let open: { fastify: FastifyInstance; base: string };
  beforeAll(async () => {
    open = await server(access);
  });
  afterAll(async () => open?.fastify.close());

  const get = (url: string, key?: string) => send(open.base, 'GET', url, key ? { authorization: `Bearer ${key}` } : {});

  it('closes Nest routes, plugin routes and unmatched URLs under /admin without a valid key', async () => {
    for (const url of ['/admin/events', '/admin/queues', '/admin/queues/api/queues', '/admin/nothing-here', '/admin']) {
      for (const key of [undefined, 'wrong']) {
        const response = await get(url, key);
        expect({ url, key, status: response.statusCode }).toEqual({ url, key, status: 401 });
        expect(response.headers['www-authenticate']).toBe('Bearer realm="admin"');
      }
    }
  });

  it('opens them with a valid key', async () => {
    expect((await get('/admin/events', 'the-admin-key')).json()).toEqual({ events: [] });
    expect((await get('/admin/queues', 'the-admin-key')).body).toBe('dashboard');
    expect((await get('/admin/queues/api/queues', 'the-admin-key')).statusCode).toBe(200);
    expect((await get('/admin/nothing-here', 'the-admin-key')).statusCode).toBe(404);
  });

  it('sends a browser opening an admin page without a session to the login page; API clients get 401', async () => {
    const browser = await send(open.base, 'GET', '/admin/queues?x=1', { accept: 'text/html,application/xhtml+xml' });
    expect(browser.statusCode).toBe(303);
    expect(browser.headers.location).toBe(`/admin/login?next=${encodeURIComponent('/admin/queues?x=1')}`);
    expect((await send(open.base, 'GET', '/admin/queues', { accept: 'application/json' })).statusCode).toBe(401);
    expect((await send(open.base, 'GET', '/admin/login', { accept: 'text/html' })).body).toBe('login form');
  });

  it('accepts the session cookie, and a change made with it only from this origin', async () => {
    const [key] = (access as Extract<AdminAccess, { mode: 'keys' }>).keys;
    const cookie = `${ADMIN_SESSION_COOKIE}=${issueAdminSession(key, new Date(Date.now() + 60_000))}`;
    expect((await send(open.base, 'GET', '/admin/events', { cookie })).json()).toEqual({ events: [] });
    expect((await send(open.base, 'GET', '/admin/queues', { cookie })).body).toBe('dashboard');
    const sameSite = await send(open.base, 'DELETE', '/admin/events', { cookie, origin: open.base });
    expect(sameSite.json()).toEqual({ deleted: 0 });
    for (const origin of [undefined, 'https://evil.example']) {
      const crossSite = await send(open.base, 'DELETE', '/admin/events', { cookie, ...(origin ? { origin } : {}) });
      expect({ origin, status: crossSite.statusCode }).toEqual({ origin, status: 403 });
      expect(crossSite.json().message).toMatch(/must come from this site/);
    }
  });

  it('keeps /metrics open unless told to protect it, then wants an admin key', async () => {
    expect((await get('/metrics')).body).toBe('metrics');
    const guarded = await server(access, true);
    try {
      expect((await send(guarded.base, 'GET', '/metrics')).statusCode).toBe(401);
      expect((await send(guarded.base, 'GET', '/metrics?name[]=x', { authorization: 'Bearer wrong' })).statusCode).toBe(
        401,
      );
      const scraped = await send(guarded.base, 'GET', '/metrics', { authorization: 'Bearer the-admin-key' });
      expect(scraped.body).toBe('metrics');
      expect(scraped.headers['content-security-policy']).toBeUndefined();
    } finally {
      await guarded.fastify.close();
    }
  });

  it('adds security headers to /admin and /docs only', async () => {
    for (const [url, key] of [
      ['/admin/events', 'the-admin-key'],
      ['/admin/events', undefined],
      ['/docs-json', undefined],
    ] as const) {
      const response = await get(url, key);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    }
    const webhook = await send(
      open.base,
      'POST',
      '/webhooks',
      { 'content-type': 'application/json' },
      '{"type":"a","data":{}}',
    );
    expect(webhook.statusCode).toBe(200);
    expect(webhook.headers['x-content-type-options']).toBeUndefined();
    expect(webhook.headers['content-security-policy']).toBeUndefined();
  });

  it('answers 503 for every admin URL when the admin is disabled', async () => {
    const closed = await server({ mode: 'disabled' });
    try {
      for (const url of ['/admin/events', '/admin/queues']) {
        const response = await send(closed.base, 'GET', url, { authorization: 'Bearer the-admin-key' });
        expect(response.statusCode).toBe(503);
        expect(response.json().message).toMatch(/ADMIN_API_KEYS/);
      }
      expect(
        (await send(closed.base, 'POST', '/webhooks', { 'content-type': 'application/json' }, '{}')).statusCode,
      ).toBe(200);
    } finally {
      await closed.fastify.close();
    }
  });
});

describe('announceAdminAccess', () => {
  afterEach(() => jest.restoreAllMocks());

  it('prints the generated development key once, and says when the admin is closed', () => {
    const logger = new Logger('test');
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const development = resolveAdminAccess({ NODE_ENV: 'development' });
    announceAdminAccess(development, logger);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain((development as { generatedKey: string }).generatedKey);

    announceAdminAccess({ mode: 'disabled' }, logger);
    expect(warn.mock.calls[1][0]).toMatch(/answers 503/);

    announceAdminAccess(resolveAdminAccess({ ADMIN_API_KEYS: 'ops:k', NODE_ENV: 'production' }), logger);
    expect(warn).toHaveBeenCalledTimes(2);
  });
});
