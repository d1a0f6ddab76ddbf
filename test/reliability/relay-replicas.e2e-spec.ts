import { randomUUID } from 'node:crypto';
import { InboxQueues } from '../../src/inbox/inbox-queues.js';
import { OutboxRelay } from '../../src/processing/relay/outbox-relay.js';
import { countEvents } from '../support/inbox-rows.js';
import { freshDatabase, type FreshDatabase } from '../support/infra/fresh-database.js';
import { queuePrefix } from '../support/run-env.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, waitFor } from '../support/test-app.js';
import { ReliabilityHandlersModule, runsOf } from './support/reliability-handlers.js';

/**
 * Two replicas, each running the relay and the workers, on one database and one queue prefix:
 * every committed-but-unqueued event is relayed by exactly one of them, and handled once.
 */
describe('relay with two replicas', () => {
  let database: FreshDatabase;
  const replicas: TestApp[] = [];

  beforeAll(async () => {
    database = await freshDatabase('relay_replicas');
    const env = {
      DATABASE_URL: database.url,
      QUEUE_PREFIX: queuePrefix('relay'),
    };
    replicas.push(await startTestApp({ extraImports: [ReliabilityHandlersModule], env }));
    replicas.push(await startTestApp({ extraImports: [ReliabilityHandlersModule], env }));
  }, 60_000);
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await database?.drop();
  });

  it('relays each unqueued event once, with both relays running at the same moment', async () => {
    const total = 3000;
    const ids = Array.from({ length: total }, (_, i) => `relay_${i}_${randomUUID().slice(0, 8)}`);
    // Committed while Redis was unreachable (or the process died before enqueueing): never queued.
    await database.db.query(
      `INSERT INTO webhook_events (external_id, type, payload, received_at)
       SELECT id, 'test.count', '{"type":"test.count","data":{}}', now() - interval '1 minute' FROM unnest($1::text[]) AS id`,
      [ids],
    );

    // Both passes at once (their timers run too): SKIP LOCKED hands each row to one of them.
    await Promise.all(replicas.map((replica) => replica.app.get(OutboxRelay).tick()));

    await waitFor(
      async () => (await countEvents(database.db, { status: 'processed' })) === total,
      60_000,
      'every event to be processed',
    );
    // Each event is in exactly one relay dispatch job.
    const dispatch = replicas[0].app.get(InboxQueues).dispatchQueue;
    const jobs = await dispatch.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'], 0, -1);
    const relayed = jobs.filter((job) => job.id!.startsWith('relay')).flatMap((job) => job.data.eventIds);
    expect(relayed).toHaveLength(total);
    expect(new Set(relayed).size).toBe(total);
    // And every handler ran once per event.
    expect(ids.filter((id) => runsOf('CountingHandler', id) !== 1)).toEqual([]);
  }, 90_000);
});
