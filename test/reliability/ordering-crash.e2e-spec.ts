import { randomUUID } from 'node:crypto';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import { startService, type ServiceProcess } from '../support/infra/service-process.js';
import { subscriptionChargeback, subscriptionCreated, subscriptionRefund } from '../support/provider-events.js';
import { queuePrefix } from '../support/run-env.js';
import { untilEventStatus, waitFor } from '../support/test-app.js';

/**
 * kill -9 of a worker while the heads of two keys of an ordered handler (the example's
 * SubscriptionTimelineHandler, by subscription_id) are mid-run: another worker takes the heads
 * over, and every key still runs one delivery at a time, in the order its events were received.
 */
describe('an ordered handler across a worker kill', () => {
  let database: FreshDatabase;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await freshDatabase('ordercrash');
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill9()));
    await database?.drop();
  });

  it('keeps each key in inbox order, and starts nothing behind a head that was interrupted', async () => {
    const prefix = queuePrefix('ordercrash');
    const first = await startService({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, APP_ROLE: 'all' });
    services.push(first.service);

    // Every timeline write waits on this lock: the heads stop mid-transaction.
    const holder = await database.db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE subscription_timeline IN EXCLUSIVE MODE');

    const [a, b] = [`sub_${randomUUID()}`, `sub_${randomUUID()}`];
    const envelopes = [
      subscriptionCreated(a),
      subscriptionRefund(a, `re_${randomUUID()}`, 100),
      subscriptionCreated(b),
      subscriptionChargeback(a, `cb_${randomUUID()}`, 200),
      subscriptionRefund(b, `re_${randomUUID()}`, 300),
      subscriptionRefund(a, `re_${randomUUID()}`, 400),
    ];
    // One after the other, each acknowledged before the next is sent: their inbox order is this order.
    const sent: { id: string; subscription: string }[] = [];
    for (const envelope of envelopes) {
      const response = await fetch(`${first.url}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(envelope),
      });
      expect(response.status).toBe(200);
      sent.push({
        id: ((await response.json()) as { id: string }).id,
        subscription: envelope.data.subscription_id as string,
      });
    }
    await waitFor(
      async () => {
        const { rows } = await database.db.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'relation' AND NOT granted`,
        );
        return rows[0].n >= 2;
      },
      15_000,
      'the heads of both keys to wait mid-run',
    );

    await first.service.kill9();
    const second = await startService({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, APP_ROLE: 'worker' });
    services.push(second.service);
    await holder.query('ROLLBACK');
    holder.release();

    // Taken over by BullMQ's stalled-job recovery once the lease has passed, or else by the relay
    // a minute later: either way, nothing behind a head starts before it.
    for (const event of sent) {
      await untilEventStatus(database.db, event.id, 'processed', 100_000).catch((error: Error) => {
        throw new Error(`${error.message}\n--- second worker ---\n${second.service.output()}`);
      });
    }
    for (const subscription of [a, b]) {
      const { rows } = await database.db.query<{ event_id: string; entry_no: number }>(
        'SELECT event_id, entry_no FROM subscription_timeline WHERE subscription_id = $1 ORDER BY entry_no',
        [subscription],
      );
      const expected = sent.filter((event) => event.subscription === subscription).map((event) => event.id);
      expect(rows.map((row) => row.event_id)).toEqual(expected);
      expect(rows.map((row) => row.entry_no)).toEqual(expected.map((_, i) => i + 1));
    }
    // The interrupted heads ran twice; nothing behind them had started: each ran once, after them.
    const { rows: attempts } = await database.db.query<{ event_id: string; attempts: number }>(
      `SELECT event_id, attempts FROM webhook_deliveries WHERE handler = 'SubscriptionTimelineHandler'`,
    );
    const attemptsOf = new Map(attempts.map((row) => [row.event_id, row.attempts]));
    const heads = new Set([sent[0].id, sent[2].id]);
    expect(sent.map((event) => attemptsOf.get(event.id))).toEqual(sent.map((event) => (heads.has(event.id) ? 2 : 1)));
  }, 180_000);
});
