import { randomUUID } from 'node:crypto';
import { InboxQueues } from '../../src/inbox/inbox-queues.js';
import { WebhookDispatchProcessor } from '../../src/processing/dispatch/webhook-dispatch.processor.js';
import { OutboxRelay } from '../../src/processing/relay/outbox-relay.js';
import { eventStatus, startTestApp, type TestApp } from '../support/test-app.js';
import { ProcessingTestHandlersModule } from './support/processing-handlers.js';

/**
 * The relay, pass by pass (an api-only app: no worker takes jobs, no relay timer runs), against
 * real Postgres and Redis: it queues nothing twice, and it looks at the whole queued backlog.
 */
describe('the relay', () => {
  let t: TestApp;
  let relay: OutboxRelay;
  let queues: InboxQueues;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [ProcessingTestHandlersModule], env: { APP_ROLE: 'api' } });
    relay = t.app.get(OutboxRelay);
    queues = t.app.get(InboxQueues);
  });
  afterAll(async () => {
    await t?.db.query(`DELETE FROM webhook_events WHERE type IN ('test.backlog', 'test.gated')`);
    await t?.close();
  });

  /** The jobs on the handler's queue (any state) that carry this event. */
  const jobsCarrying = async (eventId: string) =>
    (await queues.queueFor('GatedHandler').getJobs(['waiting', 'delayed', 'prioritized', 'active'])).filter((job) =>
      job.data.eventIds.includes(eventId),
    );

  const jobsWaiting = async (queue: { getJobCounts(...states: string[]): Promise<Record<string, number>> }) => {
    const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized');
    return counts.waiting + counts.delayed + counts.prioritized;
  };

  it('does not queue again a delivery whose job is merely waiting behind others', async () => {
    const { body } = await t.post({ id: `evt_${randomUUID()}`, type: 'test.gated', data: {} });
    await t.app.get(WebhookDispatchProcessor).process([body.id]);
    const [original] = await jobsCarrying(body.id);
    expect(original).toBeDefined();
    for (let pass = 0; pass < 2; pass++) {
      // Pending for two minutes: what the relay takes for a delivery that may have lost its job.
      await t.db.query(`UPDATE webhook_deliveries SET updated_at = now() - interval '2 minutes' WHERE event_id = $1`, [
        body.id,
      ]);
      await relay.tick();
    }
    expect((await jobsCarrying(body.id)).map((job) => job.id)).toEqual([original.id]);
    const { rows } = await t.db.query('SELECT job_id FROM webhook_deliveries WHERE event_id = $1', [body.id]);
    expect(rows).toEqual([{ job_id: original.id }]);
  });

  it('queues a delivery whose job is gone once, under an id derived from the delivery', async () => {
    const { body } = await t.post({ id: `evt_${randomUUID()}`, type: 'test.gated', data: {} });
    await t.app.get(WebhookDispatchProcessor).process([body.id]);
    const queue = queues.queueFor('GatedHandler');
    const { rows } = await t.db.query<{ job_id: string }>('SELECT job_id FROM webhook_deliveries WHERE event_id = $1', [
      body.id,
    ]);
    await queue.remove(rows[0].job_id); // Redis lost it
    expect(await jobsCarrying(body.id)).toEqual([]);
    for (let pass = 0; pass < 2; pass++) {
      await t.db.query(`UPDATE webhook_deliveries SET updated_at = now() - interval '2 minutes' WHERE event_id = $1`, [
        body.id,
      ]);
      await relay.tick();
    }
    expect((await jobsCarrying(body.id)).map((job) => job.id)).toEqual([`recover0-${body.id}-1`]);
    const { rows: after } = await t.db.query<{ job_id: string }>(
      'SELECT job_id FROM webhook_deliveries WHERE event_id = $1',
      [body.id],
    );
    expect(after[0].job_id).toBe(`recover0-${body.id}-1`);
    expect(await queue.getJob(after[0].job_id)).toBeDefined();
  });

  it('does not dispatch again while the dispatch queue still holds jobs', async () => {
    // No worker takes dispatch jobs here: the one ingestion added is waiting.
    const { body } = await t.post({ id: `evt_${randomUUID()}`, type: 'test.gated', data: {} });
    await t.db.query(
      `UPDATE webhook_events SET status = 'queued', received_at = now() - interval '2 minutes' WHERE id = $1`,
      [body.id],
    );
    const before = await jobsWaiting(queues.dispatchQueue);
    expect(before).toBeGreaterThanOrEqual(1);
    let redispatched = 0;
    for (let pass = 0; pass < 3; pass++) redispatched += (await relay.tick()).redispatched;
    expect(redispatched).toBe(0);
    expect(await jobsWaiting(queues.dispatchQueue)).toBe(before);
  });

  it('walks the whole queued backlog: old rows that wait for good do not hide a newer stranded event', async () => {
    // 2,100 queued events from an hour ago whose deliveries retry far in the future…
    await t.db.query(`
      WITH events AS (
        INSERT INTO webhook_events (external_id, type, payload, status, received_at)
        SELECT 'backlog-' || g || '-' || gen_random_uuid(), 'test.backlog', '{"type":"test.backlog","data":{}}', 'queued',
               now() - interval '1 hour' + g * interval '1 millisecond'
        FROM generate_series(1, 2100) AS g
        RETURNING id
      )
      INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts, next_attempt_at)
      SELECT id, 'GatedHandler', 'retrying', 1, 3, now() + interval '1 day' FROM events`);
    // …and a newer one whose only delivery succeeded, but which was never marked processed.
    const { rows } = await t.db.query<{ id: string }>(`
      INSERT INTO webhook_events (external_id, type, payload, status, received_at)
      VALUES ('stranded-' || gen_random_uuid(), 'test.backlog', '{"type":"test.backlog","data":{}}', 'queued',
              now() - interval '1 minute')
      RETURNING id`);
    const stranded = rows[0].id;
    await t.db.query(
      `INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts) VALUES ($1, 'GatedHandler', 'succeeded', 1, 3)`,
      [stranded],
    );
    let finished = 0;
    for (let pass = 0; pass < 4 && finished === 0; pass++) finished += (await relay.tick()).finished;
    expect(finished).toBe(1);
    expect(await eventStatus(t.db, stranded)).toBe('processed');
  });
});
