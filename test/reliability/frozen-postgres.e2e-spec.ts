import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrivatePostgres } from '../support/infra/private-postgres.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, waitFor } from '../support/test-app.js';

const ACK_TIMEOUT_MS = 1000;
/** What an answer may take beyond the bound: the request's own round trip on a busy test machine. */
const SLACK_MS = 1500;

/**
 * Postgres hung rather than down (every process of a private cluster stopped with SIGSTOP, longer
 * than every timeout, then resumed): no request waits past ACK_TIMEOUT_MS, none gets a 2xx for a
 * row that is not in the table afterwards.
 */
describe('Postgres frozen (private cluster)', () => {
  let postgres: PrivatePostgres;
  let t: TestApp;
  let db: pg.Pool;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    t = await startTestApp({
      env: { DATABASE_URL: postgres.url('inbox'), ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS), APP_ROLE: 'api' },
    });
    db = new pg.Pool({ connectionString: postgres.url('inbox'), max: 2 });
    db.on('error', () => undefined);
  }, 60_000);
  afterAll(async () => {
    postgres?.resume();
    await t?.close();
    await db?.end();
    await postgres?.destroy();
  });

  const post = async (id: string) => {
    const started = Date.now();
    const response = await t.post({ id, type: 'test.frozen', data: {} });
    return {
      id,
      status: response.status,
      body: response.body,
      retryAfter: response.headers.get('retry-after'),
      ms: Date.now() - started,
    };
  };

  it('answers 503 within the bound while Postgres hangs, and gives no 2xx for a row it does not hold', async () => {
    expect((await post(`evt_${randomUUID()}`)).status).toBe(200);
    postgres.freeze();
    let answers: Awaited<ReturnType<typeof post>>[];
    try {
      answers = await Promise.all(Array.from({ length: 8 }, () => post(`evt_${randomUUID()}`)));
    } finally {
      postgres.resume();
    }
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(answer.ms).toBeLessThan(ACK_TIMEOUT_MS + SLACK_MS);
    }
    // Back to normal once it resumes.
    await waitFor(async () => (await post(`evt_${randomUUID()}`)).status === 200, 30_000, 'a 2xx after the resume');

    // The batch the frozen server held may still have committed after the resume: then the
    // sender's retry is answered as a duplicate with the stored id. Never the other way round.
    for (const answer of answers) {
      const retry = await post(answer.id);
      expect(retry.status).toBe(200);
      const { rows } = await db.query('SELECT id FROM webhook_events WHERE external_id = $1', [answer.id]);
      expect(rows).toEqual([{ id: retry.body.id }]);
    }
  }, 90_000);
});
