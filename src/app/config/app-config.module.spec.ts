import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config.js';
import { readAppConfig } from './app-config.module.js';

describe('readAppConfig (@nestjs/config with the class-validator schema)', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'env-'));
    for (const key of ['PORT', 'LOG_LEVEL', 'RETENTION_DAYS', 'QUEUE_PREFIX']) delete process.env[key];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    process.env = { ...saved };
  });

  const envFile = (text: string) => {
    const path = join(dir, '.env');
    writeFileSync(path, text);
    return path;
  };

  it('reads a .env file, typed and validated', async () => {
    const config = await readAppConfig(envFile('PORT=4321\nRETENTION_DAYS=7\n'));
    expect(config.PORT).toBe(4321);
    expect(config.RETENTION_DAYS).toBe(7);
    expect(config.QUEUE_PREFIX).toBe('webhook-inbox');
  });

  it('lets the environment win over the file', async () => {
    process.env.LOG_LEVEL = 'warn';
    const config = await readAppConfig(envFile('LOG_LEVEL=debug\n'));
    expect(config.LOG_LEVEL).toBe('warn');
  });

  it('refuses a bad value with the schema’s message, naming the variable and its value', async () => {
    await expect(readAppConfig(envFile('PORT=70000\nQUEUE_PREFIX=a:b\n'))).rejects.toThrow(ConfigError);
    await expect(readAppConfig(envFile('PORT=70000\n'))).rejects.toThrow(
      /PORT="70000": must not be greater than 65535/,
    );
  });

  it('works without a .env file', async () => {
    const config = await readAppConfig(join(dir, 'missing.env'));
    expect(config.PORT).toBe(3000);
  });
});
