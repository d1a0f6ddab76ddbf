import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * One database and one queue prefix per test run, so runs never see each other's data.
 * The settings reach the test files through the environment (the suite runs in band).
 */
export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const server = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const database = `webhook_inbox_test_${run}`;
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  await client.query(`CREATE DATABASE ${database}`);
  await client.end();

  process.env.TEST_RUN_ID = run;
  process.env.TEST_DATABASE_URL = `${server}/${database}`;
  process.env.TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  process.env.TEST_QUEUE_PREFIX = `wi-test-${run}`;
}
