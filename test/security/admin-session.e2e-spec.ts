import { expectErrorShape, request, type RawResponse } from '../support/raw-http.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp } from '../support/test-app.js';

/**
 * The browser login over plain HTTP, as a browser would speak it: the form, the cookie and its
 * attributes, reads and changes made with it, the cross-site checks, expiry and logout.
 */
const KEY = 'session-test-key-0123456789abcdefghijkl';
const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

describe('admin: browser session (real service)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // TRUST_PROXY so that a request can say it came over HTTPS through the proxy (the Secure attribute).
    t = await startTestApp({ env: { ADMIN_API_KEYS: `ops:${KEY}`, ADMIN_SESSION_MINUTES: '30', TRUST_PROXY: 'true' } });
  });
  afterAll(async () => t?.close());

  const setCookie = (response: RawResponse): string => {
    const header = response.headers['set-cookie'];
    return Array.isArray(header) ? header.join('\n') : (header ?? '');
  };
  const cookieOf = (response: RawResponse) => setCookie(response).split(';')[0];
  const login = (body: string, headers: Record<string, string> = JSON_TYPE) =>
    request(t.url, { path: '/admin/session', headers, body });

  it('serves a login form under the admin security headers, without a key', async () => {
    const page = await request(t.url, { method: 'GET', path: '/admin/login?next=/admin/queues/queue/x' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    // Not no-referrer: under it a browser's form post says `Origin: null` and the login could not check it.
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.text).toContain('<form method="post" action="/admin/session">');
    expect(page.text).toContain('name="next" value="/admin/queues/queue/x"');
    // Only this service's own pages as the next stop.
    const elsewhere = await request(t.url, { method: 'GET', path: '/admin/login?next=https://evil.example/' });
    expect(elsewhere.text).toContain('name="next" value="/admin/queues"');
    const injected = await request(t.url, { method: 'GET', path: '/admin/login?next=/admin/"><script>' });
    expect(injected.text).not.toContain('"><script>');
  });

  it('refuses a wrong key or a login posted from another site, setting no cookie', async () => {
    const wrong = await login(JSON.stringify({ key: `${KEY}x` }));
    expect(wrong.status).toBe(401);
    expectErrorShape(wrong, 401);
    expect(setCookie(wrong)).toBe('');
    const crossSite = await login(JSON.stringify({ key: KEY }), { ...JSON_TYPE, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(setCookie(crossSite)).toBe('');
    const missing = await login(JSON.stringify({}));
    expect(missing.status).toBe(400);
  });

  it('sets a short-lived HttpOnly, SameSite=Strict cookie for /admin, Secure under HTTPS', async () => {
    const before = Date.now();
    const plain = await login(JSON.stringify({ key: KEY }));
    expect(plain.status).toBe(200);
    expect(plain.json.name).toBe('ops');
    const expiresIn = Date.parse(plain.json.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(29 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(30 * 60_000 + 1000);
    const attributes = setCookie(plain);
    expect(attributes).toMatch(
      /^webhook_inbox_admin=v1\.[^;]+; Max-Age=1800; Path=\/admin; HttpOnly; SameSite=Strict$/,
    );
    expect(attributes).not.toContain(KEY);

    const overHttps = await login(JSON.stringify({ key: KEY }), { ...JSON_TYPE, 'x-forwarded-proto': 'https' });
    expect(setCookie(overHttps)).toMatch(/; Secure/);
  });

  it('redirects a form login to where the operator was going, or back to the form', async () => {
    const ok = await login(
      `key=${encodeURIComponent(KEY)}&next=${encodeURIComponent('/admin/queues/queue/q')}`,
      FORM_TYPE,
    );
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/admin/queues/queue/q');
    expect(cookieOf(ok)).toMatch(/^webhook_inbox_admin=/);
    const failed = await login(`key=nope&next=${encodeURIComponent('/docs')}`, FORM_TYPE);
    expect(failed.status).toBe(303);
    expect(failed.headers.location).toBe(`/admin/login?failed=1&next=${encodeURIComponent('/docs')}`);
    expect(setCookie(failed)).toBe('');
  });

  it('reads with the cookie; changes with it only from this site', async () => {
    const cookie = cookieOf(await login(JSON.stringify({ key: KEY })));
    const read = await request(t.url, { method: 'GET', path: '/admin/subscriptions', headers: { cookie } });
    expect(read.status).toBe(200);
    const version = read.json.version;

    const change = JSON.stringify({ mode: 'list', types: ['session.test'], reason: 'session test' });
    for (const origin of [undefined, 'https://evil.example', t.url.replace('127.0.0.1', 'localhost')]) {
      const refused = await request(t.url, {
        method: 'PUT',
        path: '/admin/subscriptions',
        headers: { cookie, ...JSON_TYPE, ...(origin ? { origin } : {}) },
        body: change,
      });
      expect({ origin, status: refused.status }).toEqual({ origin, status: 403 });
      expectErrorShape(refused, 403);
    }
    expect(
      (await request(t.url, { method: 'GET', path: '/admin/subscriptions', headers: { cookie } })).json.version,
    ).toBe(version);

    const accepted = await request(t.url, {
      method: 'PUT',
      path: '/admin/subscriptions',
      headers: { cookie, ...JSON_TYPE, origin: t.url },
      body: change,
    });
    expect(accepted.status).toBe(200);
    expect(accepted.json.changedBy).toMatch(/^\(ops via session, 127\.0\.0\.1\)$/);
    const back = await request(t.url, {
      method: 'PUT',
      path: '/admin/subscriptions',
      headers: { cookie, ...JSON_TYPE, origin: t.url },
      body: JSON.stringify({ mode: 'all' }),
    });
    expect(back.status).toBe(200);
    const audit = await request(t.url, {
      method: 'GET',
      path: '/admin/audit?action=subscriptions.replace&limit=2',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(audit.json.items).toEqual([
      expect.objectContaining({ actor: 'ops', via: 'session', status: 200, rows: 1 }),
      expect.objectContaining({ actor: 'ops', via: 'session', status: 200, rows: 1 }),
    ]);
  });

  it('refuses a forged or tampered cookie, and logs out', async () => {
    const cookie = cookieOf(await login(JSON.stringify({ key: KEY })));
    const [name, token] = cookie.split('=');
    const [version, keyName, expiry, mac] = token.split('.');
    for (const forged of [
      `${name}=${version}.${keyName}.${Number(expiry) + 86_400}.${mac}`,
      `${name}=${version}.${Buffer.from('ci').toString('base64url')}.${expiry}.${mac}`,
      `${name}=garbage`,
    ]) {
      const refused = await request(t.url, { method: 'GET', path: '/admin/events', headers: { cookie: forged } });
      expect(refused.status).toBe(401);
    }
    const out = await request(t.url, { method: 'DELETE', path: '/admin/session', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(setCookie(out)).toMatch(/^webhook_inbox_admin=; Max-Age=0; Path=\/admin; HttpOnly; SameSite=Strict$/);
  });
});
