import { ConfigError, loadConfig, maskUrl } from './app-config.js';

describe('loadConfig', () => {
  it('runs with zero configuration on local defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/webhook_inbox',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'info',
      APP_ROLE: 'all',
      WEBHOOK_BODY_LIMIT: 1048576,
    });
    expect(config.runsWorkers).toBe(true);
  });

  it('reads and converts values from the environment', () => {
    const config = loadConfig({ PORT: '8080', APP_ROLE: 'api', LOG_LEVEL: 'debug', UNRELATED: 'x' });
    expect(config).toMatchObject({ PORT: 8080, APP_ROLE: 'api', LOG_LEVEL: 'debug' });
    expect(config.runsWorkers).toBe(false);
  });

  it('reads the optional settings too (they have no default)', () => {
    const config = loadConfig({ WEBHOOK_SECRET: 'whsec_YQ== whsec_Yg==', ADMIN_API_KEYS: 'k1', TRUST_PROXY: '1' });
    expect(config).toMatchObject({ WEBHOOK_SECRET: 'whsec_YQ== whsec_Yg==', ADMIN_API_KEYS: 'k1', TRUST_PROXY: '1' });
  });

  it('names every bad variable in one error', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        QUEUE_PREFIX: 'a:b',
        TLS_CERT_FILE: '/c.pem',
      });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'QUEUE_PREFIX', 'TLS_KEY_FILE'])
      expect(text).toContain(name);
    expect(error!.problems.length).toBeGreaterThanOrEqual(5);
  });
});

describe('the JSON limits of a webhook body', () => {
  it('default to 64 levels, 10 000 keys and 10 000 array items, and read the environment', () => {
    expect(loadConfig({})).toMatchObject({
      WEBHOOK_JSON_MAX_DEPTH: 64,
      WEBHOOK_JSON_MAX_KEYS: 10_000,
      WEBHOOK_JSON_MAX_ARRAY_ITEMS: 10_000,
    });
    expect(
      loadConfig({ WEBHOOK_JSON_MAX_DEPTH: '8', WEBHOOK_JSON_MAX_KEYS: '500', WEBHOOK_JSON_MAX_ARRAY_ITEMS: '0' }),
    ).toMatchObject({ WEBHOOK_JSON_MAX_DEPTH: 8, WEBHOOK_JSON_MAX_KEYS: 500, WEBHOOK_JSON_MAX_ARRAY_ITEMS: 0 });
  });

  it.each([
    ['WEBHOOK_JSON_MAX_DEPTH', '1', /must not be less than 2/], // the envelope itself is 2 deep
    ['WEBHOOK_JSON_MAX_DEPTH', '1001', /must not be greater than 1000/],
    ['WEBHOOK_JSON_MAX_KEYS', '1', /must not be less than 2/], // type and data
    ['WEBHOOK_JSON_MAX_KEYS', '2.5', /integer/],
    ['WEBHOOK_JSON_MAX_ARRAY_ITEMS', '-1', /must not be less than 0/],
    ['WEBHOOK_JSON_MAX_ARRAY_ITEMS', '1000001', /must not be greater than 1000000/],
  ])('refuses %s=%s with a line naming it', (name, value, says) => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ [name]: value });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(1);
    expect(error!.problems[0]).toMatch(new RegExp(`^${name}="${value.replace('.', '\\.')}": `));
    expect(error!.problems[0]).toMatch(says);
  });
});

describe('maskUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(maskUrl('postgres://app:s3cret@db:5432/inbox')).toBe('postgres://app:****@db:5432/inbox');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
