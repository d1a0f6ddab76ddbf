import { randomUUID } from 'node:crypto';
import { attemptsOf } from '../support/inbox-rows.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, untilEventStatus } from '../support/test-app.js';
import { ReliabilityHandlersModule, runsOf } from './support/reliability-handlers.js';

/** A hung handler is failed by its timeout and retried; a poison event never holds up the others. */
describe('handler timeout and poison events', () => {
  let database: FreshDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await freshDatabase('handler_limits');
    t = await startTestApp({ extraImports: [ReliabilityHandlersModule], env: { DATABASE_URL: database.url } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const event = async (id: string) =>
    (await database.db.query(`SELECT status, processed_at FROM webhook_events WHERE id = $1`, [id])).rows[0];
  const attempts = (id: string) => attemptsOf(database.db, id);

  it('fails a hung attempt at its timeout and retries it, while the same one-at-a-time handler keeps working', async () => {
    const hungId = `hang_${randomUUID()}`;
    const hung = await t.post({ id: hungId, type: 'test.hang', data: { hang: true } });
    const others = await Promise.all(
      [1, 2, 3].map((i) => t.post({ id: `after_hang_${i}_${randomUUID()}`, type: 'test.hang', data: {} })),
    );

    await untilEventStatus(database.db, hung.body.id, 'processed');
    expect(await attempts(hung.body.id)).toEqual([
      { attempt: 1, outcome: 'timed_out' },
      { attempt: 2, outcome: 'succeeded' },
    ]);
    expect(runsOf('HangingHandler', hungId)).toBe(2);
    for (const other of others) expect((await event(other.body.id)).status).toBe('processed');
  }, 30_000);

  it('processes the other events while a poison event is retried to its end', async () => {
    const poison = await t.post({ id: `poison_${randomUUID()}`, type: 'test.poison', data: { poison: true } });
    const healthy = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => t.post({ id: `healthy_${i}_${randomUUID()}`, type: 'test.poison', data: {} })),
    );

    await untilEventStatus(database.db, poison.body.id, 'failed', 20_000);
    const poisonDone: Date = (await event(poison.body.id)).processed_at;
    for (const { body } of healthy) {
      const done = await event(body.id);
      expect(done.status).toBe('processed');
      // Finished while the poison event was still waiting for its retries (1 s apart).
      expect(done.processed_at.getTime()).toBeLessThan(poisonDone.getTime() - 1000);
    }
    expect((await attempts(poison.body.id)).map((a: { outcome: string }) => a.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
  }, 30_000);
});
