import { authenticateAdmin, edgeAreaOf, type AdminRequest } from './admin-auth.js';
import { keyFingerprint, matchAdminKey, parseAdminKeys, resolveAdminAccess, type AdminAccess } from './admin-keys.js';
import { ADMIN_SESSION_COOKIE, issueAdminSession, verifyAdminSession } from './admin-session.js';

describe('parseAdminKeys', () => {
  it('names `name:key` entries and names bare keys by their fingerprint', () => {
    expect(parseAdminKeys(' ops:k-one   k-two ci:a:b ')).toEqual([
      { name: 'ops', key: 'k-one' },
      { name: `key-${keyFingerprint('k-two')}`, key: 'k-two' },
      { name: 'ci', key: 'a:b' },
    ]);
    expect(parseAdminKeys(undefined)).toEqual([]);
  });

  it('treats an entry whose prefix is not a usable name as a bare key', () => {
    expect(parseAdminKeys(':abc')[0].key).toBe(':abc');
    expect(parseAdminKeys('a b:c')[1]).toEqual({ name: 'b', key: 'c' });
    expect(parseAdminKeys('no/slash:k')[0].key).toBe('no/slash:k');
  });

  it('refuses a name without a key or a name given twice, without printing a key', () => {
    expect(() => parseAdminKeys('ops:')).toThrow('entry #1 (ops) has a name but no key');
    expect(() => parseAdminKeys('ops:secret-1 ops:secret-2')).toThrow(/the name ops is given to more than one key/);
    expect(() => parseAdminKeys('ops:secret-1 ops:secret-2')).not.toThrow(/secret/);
  });
});

describe('resolveAdminAccess', () => {
  it('uses ADMIN_API_KEYS when set, in any environment', () => {
    for (const NODE_ENV of ['production', 'development', 'test']) {
      const access = resolveAdminAccess({ ADMIN_API_KEYS: ' ops:k-one   k-two ', NODE_ENV });
      expect(access.mode === 'keys' && access.keys.map((key) => key.name)).toEqual([
        'ops',
        `key-${keyFingerprint('k-two')}`,
      ]);
      expect(access.mode === 'keys' && access.generatedKey).toBeUndefined();
    }
  });

  it('keeps the admin closed in production without keys', () => {
    expect(resolveAdminAccess({ NODE_ENV: 'production' })).toEqual({ mode: 'disabled' });
    expect(resolveAdminAccess({ ADMIN_API_KEYS: '   ', NODE_ENV: 'production' })).toEqual({ mode: 'disabled' });
  });

  it('generates a fresh random key per run in development', () => {
    const first = resolveAdminAccess({ NODE_ENV: 'development' });
    const second = resolveAdminAccess({ NODE_ENV: 'development' });
    expect(first.mode === 'keys' && first.generatedKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.mode === 'keys' && first.generatedKey).not.toBe(second.mode === 'keys' && second.generatedKey);
    expect(matchAdminKey(first, (first as { generatedKey: string }).generatedKey)?.name).toBe('generated');
  });

  it('never keeps a key in clear text', () => {
    const access = resolveAdminAccess({ ADMIN_API_KEYS: 'ops:super-secret-key', NODE_ENV: 'production' });
    expect(JSON.stringify(access)).not.toContain('super-secret-key');
  });
});

describe('matchAdminKey', () => {
  const access = resolveAdminAccess({ ADMIN_API_KEYS: 'a:alpha-key b:beta-key', NODE_ENV: 'production' });

  it('finds the configured key and nothing else', () => {
    expect(matchAdminKey(access, 'alpha-key')?.name).toBe('a');
    expect(matchAdminKey(access, 'beta-key')?.name).toBe('b');
    for (const wrong of ['', 'alpha', 'alpha-key ', 'alpha-keyx', 'ALPHA-KEY', 'a:alpha-key', 'alpha-key beta-key']) {
      expect(matchAdminKey(access, wrong)).toBeUndefined();
    }
  });

  it('finds nothing when the admin is disabled', () => {
    expect(matchAdminKey({ mode: 'disabled' }, 'anything')).toBeUndefined();
  });
});

describe('admin sessions', () => {
  const access = resolveAdminAccess({ ADMIN_API_KEYS: 'ops:ops-key ci:ci-key', NODE_ENV: 'production' });
  const keys = (access as Extract<AdminAccess, { mode: 'keys' }>).keys;
  const inAnHour = new Date(Date.now() + 3_600_000);

  it('verifies a session issued for a configured key, until it expires', () => {
    const token = issueAdminSession(keys[0], inAnHour);
    expect(verifyAdminSession(access, token)?.name).toBe('ops');
    expect(verifyAdminSession(access, token, new Date(inAnHour.getTime() + 1000))).toBeUndefined();
  });

  it('refuses a tampered token, another key name, or a key no longer configured', () => {
    const token = issueAdminSession(keys[0], inAnHour);
    const [version, , expiry, mac] = token.split('.');
    const asCi = [version, Buffer.from('ci').toString('base64url'), expiry, mac].join('.');
    const later = [version, token.split('.')[1], String(Number(expiry) + 3600), mac].join('.');
    for (const forged of [asCi, later, `${token}x`, token.replace(/^v1/, 'v2'), '', 'a.b.c']) {
      expect(verifyAdminSession(access, forged)).toBeUndefined();
    }
    const rotated = resolveAdminAccess({ ADMIN_API_KEYS: 'ops:new-ops-key', NODE_ENV: 'production' });
    expect(verifyAdminSession(rotated, token)).toBeUndefined();
    expect(verifyAdminSession({ mode: 'disabled' }, token)).toBeUndefined();
  });
});

describe('authenticateAdmin', () => {
  const access = resolveAdminAccess({ ADMIN_API_KEYS: 'ops:alpha-key', NODE_ENV: 'production' });
  const origin = 'https://inbox.example.com';
  const decide = (headers: AdminRequest['headers'], method = 'GET', which: AdminAccess = access) =>
    authenticateAdmin(which, { method, headers, origin });
  const status = (headers: AdminRequest['headers'], method = 'GET') => {
    const decision = decide(headers, method);
    return 'refusal' in decision ? decision.refusal.getStatus() : 200;
  };
  const cookie = `${ADMIN_SESSION_COOKIE}=${issueAdminSession(
    (access as Extract<AdminAccess, { mode: 'keys' }>).keys[0],
    new Date(Date.now() + 60_000),
  )}`;

  it('lets a valid bearer key through, named', () => {
    expect(decide({ authorization: 'Bearer alpha-key' })).toEqual({ identity: { name: 'ops', via: 'bearer' } });
    expect(decide({ authorization: 'bearer   alpha-key ' })).toEqual({ identity: { name: 'ops', via: 'bearer' } });
  });

  it('answers 401 for a missing, malformed or wrong Authorization header', () => {
    for (const authorization of [
      'alpha-key',
      'Basic YWxwaGEta2V5',
      'Bearer',
      'Bearer wrong',
      'Bearer alpha-key extra',
    ]) {
      expect({ authorization, status: status({ authorization }) }).toEqual({ authorization, status: 401 });
    }
    expect(status({})).toBe(401);
  });

  it('says what is wrong without revealing a key', () => {
    const message = (headers: AdminRequest['headers']) => {
      const decision = decide(headers);
      return 'refusal' in decision ? decision.refusal.message : '';
    };
    expect(message({})).toMatch(/Missing "Authorization: Bearer <key>".*log in at \/admin\/login/);
    expect(message({ authorization: 'Token x' })).toMatch(/must be "Bearer <key>"/);
    expect(message({ authorization: 'Bearer alpha-ke' })).toBe('The bearer key is not one of ADMIN_API_KEYS');
    expect(message({ cookie: `${ADMIN_SESSION_COOKIE}=v1.x.1.y` })).toMatch(/session has expired or is not valid/);
  });

  it('accepts a session cookie for reads, and for changes only with this site as Origin', () => {
    expect(decide({ cookie: `other=1; ${cookie}` })).toEqual({ identity: { name: 'ops', via: 'session' } });
    expect(status({ cookie }, 'HEAD')).toBe(200);
    expect(status({ cookie, origin }, 'POST')).toBe(200);
    expect(status({ cookie, origin: origin.toUpperCase() }, 'DELETE')).toBe(200);
    for (const [method, headers] of [
      ['POST', { cookie }],
      ['PUT', { cookie, origin: 'https://evil.example' }],
      ['DELETE', { cookie, origin: 'http://inbox.example.com' }],
      ['PATCH', { cookie, origin: 'null' }],
    ] as const) {
      expect({ method, status: status(headers, method) }).toEqual({ method, status: 403 });
    }
  });

  it('prefers the Authorization header: a wrong key is refused even with a valid cookie', () => {
    expect(status({ cookie, authorization: 'Bearer wrong' })).toBe(401);
  });

  it('answers 503 with how to enable it when the admin is disabled, whatever is sent', () => {
    for (const headers of [{}, { authorization: 'Bearer alpha-key' }, { cookie }]) {
      const decision = decide(headers, 'GET', { mode: 'disabled' });
      expect('refusal' in decision && decision.refusal.getStatus()).toBe(503);
      expect('refusal' in decision && decision.refusal.message).toMatch(/set ADMIN_API_KEYS/);
    }
  });
});

describe('edgeAreaOf', () => {
  it.each([
    ['/admin', undefined, 'admin'],
    ['/admin/events?limit=5', '/admin/events', 'admin'],
    ['/admin/queues/static/js/main.js', undefined, 'admin'],
    ['/%61dmin/events', undefined, 'admin'],
    ['/admin%2Fevents', undefined, 'admin'],
    ['//admin/events', undefined, 'admin'],
    ['/ADMIN/events', undefined, 'admin'],
    ['/admin;jsessionid=x', undefined, 'admin'],
    ['/x', '/admin/events/:id', 'admin'],
    ['/docs', '/docs', 'docs'],
    ['/docs/swagger-ui.css', undefined, 'docs'],
    ['/docs-json', '/docs-json', 'docs'],
    ['/webhooks', '/webhooks', undefined],
    ['/administrator', undefined, undefined],
    ['/adminx/events', undefined, undefined],
    ['/health/ready', '/health/ready', undefined],
    ['/metrics', '/metrics', 'metrics'],
    ['/metrics?x=1', undefined, 'metrics'],
    ['/metricsx', undefined, undefined],
    ['/admin/login', '/admin/login', 'login'],
    ['/admin/login?next=/admin/queues', '/admin/login', 'login'],
    ['/admin/session', '/admin/session', 'login'],
    ['/admin/session/', undefined, 'login'],
    ['/admin/sessions', undefined, 'admin'],
    ['/admin/login/../events', '/admin/login', 'admin'],
    ['/%E0%A4%A', undefined, undefined],
  ])('%s (route %s) → %s', (url, route, area) => {
    expect(edgeAreaOf(url, route)).toBe(area);
  });
});
