import pg from 'pg';
import { spawnService, waitForOutput } from './support/infra/service-process.js';

/** The built service as a user starts it: `node dist/src/app/main.js` with only environment variables. */
describe('starting the service', () => {
  const server = new URL(process.env.TEST_DATABASE_URL!);

  it('creates a missing database, migrates it, serves, and exits 0 on SIGTERM', async () => {
    const database = `${server.pathname.slice(1)}_fresh`;
    const url = new URL(server);
    url.pathname = `/${database}`;
    const service = spawnService({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: url.toString(),
      REDIS_URL: process.env.TEST_REDIS_URL!,
      QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}-startup`,
      LOG_LEVEL: 'warn',
    });
    try {
      const [, address] = await waitForOutput(service, /listening on (http:\/\/\S+)/);
      const response = await fetch(`${address}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'evt_startup', type: 'anything', data: {} }),
      });
      expect(response.status).toBe(200);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    } finally {
      await service.kill9();
      const admin = new pg.Client({ connectionString: new URL('/postgres', server).toString() });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it.each([
    [
      'Postgres',
      { DATABASE_URL: 'postgres://app:s3cret@127.0.0.1:1/inbox' },
      /^Cannot reach Postgres at postgres:\/\/app:\*\*\*\*@127\.0\.0\.1:1\/inbox \(ECONNREFUSED\)\. Start it/,
    ],
    [
      'Redis',
      { REDIS_URL: 'redis://:hunter2@127.0.0.1:1' },
      /^Cannot reach Redis at redis:\/\/:\*\*\*\*@127\.0\.0\.1:1 \(ECONNREFUSED\)\. Start it/,
    ],
  ])('explains in one line that %s is unreachable, masks the password, and exits 1', async (_name, env, message) => {
    const service = spawnService({
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      REDIS_URL: process.env.TEST_REDIS_URL!,
      ...env,
    });
    expect(await service.exited).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(service.output()).not.toMatch(/s3cret|hunter2|\n\s+at /);
  });

  it('refuses bad configuration with one line per bad variable and exits 1', async () => {
    const service = spawnService({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://nope' });
    expect(await service.exited).toBe(1);
    const output = service.output();
    expect(output).toMatch(/^Invalid configuration:/);
    expect(output).toMatch(/- PORT="eighty": /);
    expect(output).toMatch(/- LOG_LEVEL="loud": /);
    expect(output).toMatch(/- REDIS_URL="http:\/\/nope": must be a redis/);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
