import { configProblems, loadConfig } from './app-config.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('loadConfig: security settings', () => {
  it('refuses production without WEBHOOK_SECRET, saying what to set', () => {
    for (const secret of [undefined, '', '   ']) {
      const problems = configProblems({
        NODE_ENV: 'production',
        ...(secret === undefined ? {} : { WEBHOOK_SECRET: secret }),
      });
      expect(problems).toEqual([
        expect.stringMatching(/^WEBHOOK_SECRET: required when NODE_ENV=production \(the "whsec_\.\.\." signing secret/),
      ]);
    }
  });

  it('starts production with a secret, and development or test without one', () => {
    expect(
      loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }).isProduction,
    ).toBe(true);
    expect(configProblems({ NODE_ENV: 'development' })).toEqual([]);
    expect(configProblems({ NODE_ENV: 'test' })).toEqual([]);
  });

  it('refuses a malformed secret at start, naming its position and never its value', () => {
    const problems = configProblems({ WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_not*base64' });
    expect(problems).toEqual([
      'WEBHOOK_SECRET: entry #2 of 2 is not valid base64 (expected "whsec_" followed by standard base64); each secret must be "whsec_" followed by the base64-encoded key',
    ]);
    expect(problems.join('')).not.toContain('MfKQ9r8');
    expect(problems.join('')).not.toContain('not*base64');
  });

  it('reads the signature-failure throttle settings, with defaults', () => {
    expect(loadConfig({})).toMatchObject({ SIGNATURE_FAILURE_LIMIT: 10, SIGNATURE_FAILURE_WINDOW_SECONDS: 60 });
    expect(loadConfig({ SIGNATURE_FAILURE_LIMIT: '3', SIGNATURE_FAILURE_WINDOW_SECONDS: '5' })).toMatchObject({
      SIGNATURE_FAILURE_LIMIT: 3,
      SIGNATURE_FAILURE_WINDOW_SECONDS: 5,
    });
    expect(configProblems({ SIGNATURE_FAILURE_LIMIT: '0' })).toEqual([
      expect.stringMatching(/^SIGNATURE_FAILURE_LIMIT="0"/),
    ]);
  });

  it('listens on loopback by default outside production, on every address in production', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: SECRET }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '::1' }).HOST).toBe('::1');
  });

  it('accepts unsigned webhooks (no WEBHOOK_SECRET) only on loopback, and says why', () => {
    for (const HOST of ['127.0.0.1', '127.0.1.1', '::1', 'localhost']) expect(configProblems({ HOST })).toEqual([]);
    for (const HOST of ['0.0.0.0', '::', '10.1.2.3', 'inbox.internal']) {
      expect(configProblems({ HOST })).toEqual([
        expect.stringMatching(
          new RegExp(
            `^WEBHOOK_SECRET: not set, so webhooks would be accepted unsigned.*only while the service listens on loopback; HOST=${HOST} is reachable`,
          ),
        ),
      ]);
      expect(configProblems({ HOST, WEBHOOK_SECRET: SECRET })).toEqual([]);
    }
  });

  it('refuses production admin keys shorter than 32 characters, naming the key but never printing it', () => {
    const production = { NODE_ENV: 'production', WEBHOOK_SECRET: SECRET };
    const long = 'x'.repeat(32);
    expect(configProblems({ ...production, ADMIN_API_KEYS: `ops:${long} ci:${long}y` })).toEqual([]);
    const problems = configProblems({ ...production, ADMIN_API_KEYS: `ops:${long} ci:short-key-123 bare-short-key` });
    expect(problems).toEqual([
      expect.stringMatching(/^ADMIN_API_KEYS: the key named ci has 13 characters; production needs at least 32/),
      expect.stringMatching(/^ADMIN_API_KEYS: the key named key-[0-9a-f]{12} has 14 characters/),
    ]);
    expect(problems.join('')).not.toMatch(/short-key/);
    // Development keeps short keys working (the tests' and a laptop's).
    expect(configProblems({ ADMIN_API_KEYS: 'ops:short' })).toEqual([]);
  });

  it('refuses admin keys it cannot tell apart', () => {
    expect(configProblems({ ADMIN_API_KEYS: 'ops:one-key ops:other-key' })).toEqual([
      'ADMIN_API_KEYS: the name ops is given to more than one key',
    ]);
  });

  it('never prints a password from DATABASE_URL or REDIS_URL', () => {
    const problems = configProblems({
      DATABASE_URL: 'mysql://app:pg-pass@db/app',
      REDIS_URL: 'http://:redis-pass@cache:6379',
    });
    expect(problems).toEqual([
      'DATABASE_URL="mysql://app:****@db/app": must be a postgres:// URL',
      'REDIS_URL="http://:****@cache:6379": must be a redis:// or rediss:// URL',
    ]);
    expect(problems.join('')).not.toMatch(/pass/);
  });

  it('reads METRICS_PUBLIC, PURGE_MIN_AGE and TEST_WEBHOOK_TYPES, with defaults', () => {
    expect(loadConfig({})).toMatchObject({ METRICS_PUBLIC: false, purgeMinAgeMs: 86_400_000, testWebhookTypes: [] });
    expect(
      loadConfig({ METRICS_PUBLIC: 'true', PURGE_MIN_AGE: '90m', TEST_WEBHOOK_TYPES: 'a.test, b.test c' }),
    ).toMatchObject({ METRICS_PUBLIC: true, purgeMinAgeMs: 5_400_000, testWebhookTypes: ['a.test', 'b.test', 'c'] });
    expect(configProblems({ METRICS_PUBLIC: 'yes', PURGE_MIN_AGE: '24' })).toEqual([
      'METRICS_PUBLIC="yes": must be true or false',
      'PURGE_MIN_AGE="24": must be a number and a unit (ms, s, m, h or d), e.g. 24h',
    ]);
  });
});
