import { randomBytes } from 'node:crypto';
import { ADMIN_BEARER } from '../../src/admin/swagger.js';
import { expectErrorShape, request, type RawResponse } from '../support/raw-http.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp } from '../support/test-app.js';
import { AdminProbeModule } from './admin-probe.module.js';

/**
 * Every admin route is closed without a valid key. The routes are read from the OpenAPI document
 * the running app generates, so admin routes added later are covered without touching this test.
 */
const KEYS = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';
/** The browser login's routes: reachable without a key by design (see the session tests). */
const LOGIN_ROUTES = ['GET /admin/login', 'POST /admin/session', 'DELETE /admin/session'];

interface Target {
  method: string;
  path: string;
}

describe('/admin authentication (real service, routes from /docs-json)', () => {
  let t: TestApp;
  let documented: Target[];
  let openApi: any;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [AdminProbeModule], env: { ADMIN_API_KEYS: KEYS.join(' ') } });
    openApi = await (await fetch(`${t.url}/docs-json`)).json();
    documented = Object.entries(openApi.paths as Record<string, Record<string, unknown>>)
      .filter(([template]) => template === '/admin' || template.startsWith('/admin/'))
      .flatMap(([template, item]) =>
        METHODS.filter((method) => item[method] !== undefined).map((method) => ({
          method: method.toUpperCase(),
          path: template.replace(/\{[^}]+\}/g, SAMPLE_ID),
        })),
      )
      .filter((target) => !LOGIN_ROUTES.includes(`${target.method} ${target.path}`));
  });
  afterAll(async () => t?.close());

  const send = (target: Target, authorization?: string): Promise<RawResponse> =>
    request(t.url, {
      method: target.method,
      path: target.path,
      headers: {
        ...(authorization === undefined ? {} : { authorization }),
        ...(['POST', 'PUT', 'PATCH'].includes(target.method) ? { 'content-type': 'application/json' } : {}),
      },
      body: ['POST', 'PUT', 'PATCH'].includes(target.method) ? '{}' : undefined,
    });

  it('finds the admin routes in the OpenAPI document, each declaring the bearer scheme', () => {
    expect(documented.length).toBeGreaterThanOrEqual(1);
    expect(documented).toContainEqual({ method: 'GET', path: '/admin/security-probe' });
    expect(openApi.components.securitySchemes[ADMIN_BEARER]).toMatchObject({ type: 'http', scheme: 'bearer' });
    const open: string[] = [];
    for (const [template, item] of Object.entries(openApi.paths as Record<string, Record<string, any>>)) {
      if (!template.startsWith('/admin')) continue;
      for (const method of METHODS) {
        if (item[method] && LOGIN_ROUTES.includes(`${method.toUpperCase()} ${template}`))
          open.push(`${method} ${template}`);
        else if (item[method])
          expect({ route: `${method} ${template}`, security: item[method].security }).toEqual({
            route: `${method} ${template}`,
            security: expect.arrayContaining([{ [ADMIN_BEARER]: [] }]),
          });
      }
    }
    // Exactly the login routes are open, and nothing else under /admin.
    expect(open.sort()).toEqual(['delete /admin/session', 'get /admin/login', 'post /admin/session']);
  });

  it('answers 401 to every admin route and method without a key, with a wrong key, or with another scheme', async () => {
    const undocumented: Target[] = [
      // The queue dashboard is mounted outside Nest's router (a Fastify plugin) and may not be in the document.
      { method: 'GET', path: '/admin/queues' },
      { method: 'GET', path: '/admin/queues/api/queues' },
      { method: 'GET', path: '/admin' },
      { method: 'GET', path: '/admin/no-such-route' },
      // Ways of writing an admin URL that a path prefix check could miss.
      { method: 'GET', path: '/%61dmin/security-probe' },
      { method: 'GET', path: '/admin%2Fsecurity-probe' },
      { method: 'GET', path: '//admin/security-probe' },
      { method: 'GET', path: '/ADMIN/security-probe' },
      { method: 'GET', path: '/admin/security-probe?key=x' },
      { method: 'GET', path: '/admin/security-probe;x' },
      { method: 'GET', path: '/admin/security-probe/' },
    ];
    const authorizations: (string | undefined)[] = [
      undefined,
      'Bearer wrong-key',
      `Bearer ${KEYS[0]}x`,
      `Bearer ${KEYS[0].slice(0, -1)}`,
      `Basic ${Buffer.from(`admin:${KEYS[0]}`).toString('base64')}`,
      KEYS[0],
      'Bearer',
    ];
    const problems: string[] = [];
    let checked = 0;
    for (const target of [...documented, ...undocumented]) {
      for (const authorization of authorizations) {
        const response = await send(target, authorization);
        checked++;
        if (response.status !== 401) {
          problems.push(
            `${target.method} ${target.path} [${authorization ?? 'no header'}] → ${response.status} ${response.text.slice(0, 120)}`,
          );
          continue;
        }
        expect(response.headers['www-authenticate']).toBe('Bearer realm="admin"');
        if (target.method !== 'HEAD') expectErrorShape(response, 401);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBe((documented.length + undocumented.length) * authorizations.length);
  });

  it('lets each configured key through, and documented GET routes then answer something other than 401', async () => {
    for (const key of KEYS) {
      const response = await send({ method: 'GET', path: '/admin/security-probe' }, `Bearer ${key}`);
      expect({ status: response.status, body: response.json }).toEqual({ status: 200, body: { ok: true } });
    }
    const lowercaseScheme = await send({ method: 'GET', path: '/admin/security-probe' }, `bearer ${KEYS[1]}`);
    expect(lowercaseScheme.status).toBe(200);
    // The queue dashboard (a Fastify plugin, when mounted) opens with the key like the rest.
    const dashboard = await send({ method: 'GET', path: '/admin/queues' }, `Bearer ${KEYS[0]}`);
    expect([401, 403, 503]).not.toContain(dashboard.status);
    for (const target of documented.filter((route) => route.method === 'GET')) {
      const response = await send(target, `Bearer ${KEYS[0]}`);
      expect({ route: `${target.method} ${target.path}`, status: response.status }).not.toEqual({
        route: `${target.method} ${target.path}`,
        status: 401,
      });
    }
  });

  it('sends security headers (helmet) on /admin and /docs, and not on the webhook endpoint', async () => {
    for (const path of ['/admin/security-probe', '/admin/no-such-route', '/docs', '/docs-json']) {
      const response = await request(t.url, {
        method: 'GET',
        path,
        headers: path.startsWith('/admin') ? { authorization: `Bearer ${KEYS[0]}` } : {},
      });
      expect(response.status).toBeLessThan(500);
      expect({ path, headers: response.headers }).toEqual({
        path,
        headers: expect.objectContaining({
          'content-security-policy': expect.stringContaining("default-src 'self'"),
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'strict-transport-security': expect.stringContaining('max-age='),
          'referrer-policy': 'same-origin',
        }),
      });
      expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    }
    // Also on refusals.
    const refused = await request(t.url, { method: 'GET', path: '/admin/security-probe' });
    expect(refused.status).toBe(401);
    expect(refused.headers['x-content-type-options']).toBe('nosniff');

    const webhook = await t.post({ type: 'security.headers', data: {} });
    expect(webhook.status).toBe(200);
    expect(webhook.headers.get('content-security-policy')).toBeNull();
  });

  it('has CORS off: no Access-Control-Allow-* header for a cross-origin preflight or request', async () => {
    const origin = 'https://evil.example';
    const answers = [
      await request(t.url, {
        method: 'OPTIONS',
        path: '/webhooks',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      }),
      await request(t.url, {
        method: 'OPTIONS',
        path: '/admin/security-probe',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      }),
      await request(t.url, { method: 'GET', path: '/docs-json', headers: { origin } }),
      await request(t.url, {
        method: 'GET',
        path: '/admin/security-probe',
        headers: { origin, authorization: `Bearer ${KEYS[0]}` },
      }),
    ];
    for (const answer of answers) {
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
    // The admin route did answer (it is the CORS headers that are missing, not the route).
    expect(answers[3].status).toBe(200);
  });
});
