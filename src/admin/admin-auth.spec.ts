import { adminKeyMatches, adminRefusal, edgeAreaOf, resolveAdminAccess } from './admin-auth.js';

describe('resolveAdminAccess', () => {
  it('uses ADMIN_API_KEYS when set, in any environment', () => {
    for (const NODE_ENV of ['production', 'development', 'test']) {
      const access = resolveAdminAccess({ ADMIN_API_KEYS: ' k-one   k-two ', NODE_ENV });
      expect(access).toMatchObject({ mode: 'keys' });
      expect(access.mode === 'keys' && access.digests).toHaveLength(2);
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
    expect(adminKeyMatches(first, (first as { generatedKey: string }).generatedKey)).toBe(true);
  });

  it('never keeps a key in clear text', () => {
    const access = resolveAdminAccess({ ADMIN_API_KEYS: 'super-secret-key', NODE_ENV: 'production' });
    expect(JSON.stringify(access)).not.toContain('super-secret-key');
  });
});

describe('adminKeyMatches', () => {
  const access = resolveAdminAccess({ ADMIN_API_KEYS: 'alpha-key beta-key', NODE_ENV: 'production' });

  it('accepts any configured key and nothing else', () => {
    expect(adminKeyMatches(access, 'alpha-key')).toBe(true);
    expect(adminKeyMatches(access, 'beta-key')).toBe(true);
    for (const wrong of ['', 'alpha', 'alpha-key ', 'alpha-keyx', 'ALPHA-KEY', 'alpha-key beta-key']) {
      expect(adminKeyMatches(access, wrong)).toBe(false);
    }
  });

  it('is false when the admin is disabled', () => {
    expect(adminKeyMatches({ mode: 'disabled' }, 'anything')).toBe(false);
  });
});

describe('adminRefusal', () => {
  const access = resolveAdminAccess({ ADMIN_API_KEYS: 'alpha-key', NODE_ENV: 'production' });
  const status = (authorization: string | string[] | undefined, which = access) =>
    adminRefusal(which, authorization)?.getStatus();

  it('lets a valid bearer key through', () => {
    expect(adminRefusal(access, 'Bearer alpha-key')).toBeUndefined();
    expect(adminRefusal(access, 'bearer   alpha-key ')).toBeUndefined();
  });

  it('answers 401 for a missing, malformed or wrong Authorization header', () => {
    for (const header of [
      undefined,
      '',
      'alpha-key',
      'Basic YWxwaGEta2V5',
      'Bearer',
      'Bearer ',
      'Bearer wrong',
      'Bearer alpha-key extra',
      ['Bearer alpha-key'],
    ]) {
      expect({ header, status: status(header) }).toEqual({ header, status: 401 });
    }
  });

  it('says what is wrong without revealing a key', () => {
    expect(adminRefusal(access, undefined)?.message).toMatch(/Missing "Authorization: Bearer <key>"/);
    expect(adminRefusal(access, 'Token x')?.message).toMatch(/must be "Bearer <key>"/);
    expect(adminRefusal(access, 'Bearer alpha-ke')?.message).toBe('The bearer key is not one of ADMIN_API_KEYS');
  });

  it('answers 503 with how to enable it when the admin is disabled, whatever the header', () => {
    for (const header of [undefined, 'Bearer alpha-key']) {
      const refusal = adminRefusal({ mode: 'disabled' }, header);
      expect(refusal?.getStatus()).toBe(503);
      expect(refusal?.message).toMatch(/set ADMIN_API_KEYS/);
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
    ['/metrics', '/metrics', undefined],
    ['/%E0%A4%A', undefined, undefined],
  ])('%s (route %s) → %s', (url, route, area) => {
    expect(edgeAreaOf(url, route)).toBe(area);
  });
});
