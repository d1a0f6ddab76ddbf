// npm run bench — builds the service (the npm script does), then in one run:
//   1. starts the real service in production mode (signatures on, workers on, log level warn) on a
//      fresh database and its own queue prefix, and a bare Fastify endpoint beside it;
//   2. drives both with autocannon, alternating, at each connection count (warm-up, then a fixed
//      duration), with signed ~1.2 KB envelopes and 5% re-sent duplicates;
//   3. end to end: N events as fast as they are accepted, until the no-op handler processed all;
//   4. end to end with the example feature's real handlers (the "example mix": subscriptions
//      created, refunded, charged back), until all are processed, then the example tables checked
//      against the acknowledgements;
//   5. fills webhook_events to 1,000,000 rows and measures acknowledgement and admin-page latency;
//   6. checks the table holds exactly the acknowledged ids, prints markdown, writes
//      bench/results/<timestamp>.json, drops the database and the queue keys.
// Row versions (pg_stat_user_tables) and Postgres statements per event are measured for every
// service throughput measurement and both end-to-end runs, split between the acknowledgement and
// processing.
// Numbers are reported, never asserted. See the README, section Performance.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { measureAdminPages } from './lib/admin-pages.js';
import { CpuAccounting } from './lib/cpu-accounting.js';
import { summariseCpuProfile } from './lib/cpu-profile.js';
import {
  checkAcknowledgedIds,
  createDatabase,
  databaseNow,
  dropDatabase,
  endToEndFacts,
  seedHistory,
  waitUntilDrained,
  waitUntilProcessed,
} from './lib/database.js';
import { envelopeSize, newWebhookSecret, SignedEnvelopeFactory } from './lib/envelopes.js';
import { AckLedger, runLoad } from './lib/load.js';
import { ServerProcess } from './lib/processes.js';
import { markdownReport } from './lib/report.js';
import { roundTripsPer1000, statementsPerEvent } from './lib/round-trips.js';
import { INBOX_TABLES, RowVersionMeter, rowVersionsPerEvent } from './lib/row-versions.js';
import { checkSubscriptionMix, MIX_EVENT_TYPES, MIX_TABLES, SubscriptionMixFactory } from './lib/subscription-mix.js';
import { NOOP_HANDLER_NAME, ORDERING_EVENT_TYPES } from './servers/noop-handler.module.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50,200' },
    events: { type: 'string', default: '50000' },
    'mix-events': { type: 'string', default: '20000' },
    'e2e-connections': { type: 'string', default: '50' },
    'table-rows': { type: 'string', default: '1000000' },
    'ordered-events': { type: 'string', default: '20000' },
    'ordered-keys': { type: 'string', default: '10000' },
    duplicates: { type: 'string', default: '0.05' },
    profile: { type: 'boolean', default: false },
    'ingest-only': { type: 'boolean', default: false },
    dist: { type: 'string', default: path.join(root, 'dist') },
    'keep-database': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(`npm run bench -- [--duration 10] [--warmup 3] [--rounds 2] [--connections 50,200] [--events 50000]
  [--mix-events 20000] [--e2e-connections 50] [--table-rows 1000000] [--duplicates 0.05] [--profile]
  [--ordered-events 20000] [--ordered-keys 10000] [--ingest-only] [--keep-database] [--dist dist]
  --events N: end-to-end run with a no-op handler (0 skips it); --mix-events N: end-to-end run with
  the example feature's real handlers, 60 % subscription_user_create, 20 % refunds and 20 %
  chargebacks of subscriptions created earlier in the run, then the example tables checked against
  the acknowledgements (0 skips it); both run at --e2e-connections. --table-rows 0 skips the
  1,000,000-row check. --profile writes a CPU profile of the service (node --cpu-prof) to
  bench/results/ and summarises the measured runs; --ingest-only runs the service without workers
  (APP_ROLE=api) to isolate the acknowledgement path (no end-to-end runs then).
  --ordered-events N: the ordering comparison, last: N events through a no-op handler unordered,
  then the same handler ordered over --ordered-keys keys, then N events ordered over a tenth of
  the keys whose one poison event blocks its key (0 skips it).
  Row versions (pg_stat_user_tables) and Postgres statements per event are reported for each
  service throughput measurement (warm-up + measurement + drain) and both end-to-end runs.`);
  process.exit(0);
}

const settings = {
  durationSeconds: positive('duration'),
  warmupSeconds: Number(flags.warmup),
  rounds: positive('rounds'),
  connections: flags.connections.split(',').map(Number),
  events: Number(flags.events),
  mixEvents: Number(flags['mix-events']),
  e2eConnections: positive('e2e-connections'),
  tableRows: Number(flags['table-rows']),
  orderedEvents: Number(flags['ordered-events']),
  orderedKeys: positive('ordered-keys'),
  duplicateShare: Number(flags.duplicates),
  profile: flags.profile,
  ingestOnly: flags['ingest-only'],
};
if (settings.ingestOnly) settings.events = settings.mixEvents = settings.orderedEvents = 0;
for (const name of ['events', 'mix-events', 'table-rows', 'ordered-events', 'ordered-keys']) {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, 0 or more`);
}

function positive(name) {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const startedAt = new Date();
const runId = `${startedAt
  .toISOString()
  .replace(/[-:T.Z]/g, '')
  .slice(0, 14)}_${randomBytes(2).toString('hex')}`;
const postgresServer = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const database = `webhook_inbox_bench_${runId}`;
const queuePrefix = `wi-bench-${runId}`;
const secret = newWebhookSecret();
const adminKey = randomBytes(24).toString('hex');
const resultsDir = path.join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const profileDir = path.join(resultsDir, `profile-${runId}`);

const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

let service;
let bare;
let db;
let cleanedUp = false;

async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  service?.kill();
  bare?.kill();
  await db?.end().catch(() => undefined);
  if (!flags['keep-database'])
    await dropDatabase(postgresServer, database).catch((e) => log(`could not drop ${database}: ${e.message}`));
  await deleteQueueKeys().catch((e) => log(`could not delete the ${queuePrefix} keys: ${e.message}`));
}

async function deleteQueueKeys() {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0' && ++rounds < 100_000);
  } finally {
    redis.disconnect();
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  log(`run ${runId}: database ${database}, queue prefix ${queuePrefix}`);
  await createDatabase(postgresServer, database);
  const databaseUrl = `${postgresServer}/${database}`;
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });

  const serviceEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    APP_ROLE: settings.ingestOnly ? 'api' : 'all',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    WEBHOOK_SECRET: secret,
    ADMIN_API_KEYS: adminKey,
    MIGRATIONS: 'boot',
    BENCH_DIST_DIR: path.resolve(flags.dist),
    BENCH_ORDERED_KEYS: String(settings.orderedKeys),
  };
  service = new ServerProcess('inbox service', path.join(here, 'servers/inbox-service.js'), {
    env: serviceEnv,
    execArgv: settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  bare = new ServerProcess('bare Fastify', path.join(here, 'servers/bare-fastify.js'), {
    env: { NODE_ENV: 'production' },
  });
  await Promise.all([service.ready(), bare.ready()]);
  log(`service at ${service.url}, bare endpoint at ${bare.url}`);

  const ledger = new AckLedger();
  const serviceFactory = new SignedEnvelopeFactory({ secret, runId, duplicateShare: settings.duplicateShare });
  const bareFactory = new SignedEnvelopeFactory({
    secret,
    runId: `bare_${runId}`,
    duplicateShare: settings.duplicateShare,
  });
  const targets = {
    bare: { server: bare, factory: bareFactory },
    service: { server: service, factory: serviceFactory, ledger },
  };

  const result = {
    startedAt: startedAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: await machineFacts(),
    settings,
    envelopeBytes: envelopeSize(serviceFactory),
    throughput: [],
    drains: [],
  };

  // The measured service runs, for the CPU profile summary (start-up and pauses left out).
  const profileWindows = [];
  const cpu = new CpuAccounting({ db, redisPid: result.machine.redisPid });
  // Row versions: pg_stat_user_tables read at settled marks (see lib/row-versions.js).
  const rowVersions = new RowVersionMeter(db, [...INBOX_TABLES, ...MIX_TABLES]);

  /** A settled row-version mark, the service's round-trip counts and the acknowledged ids so far. */
  async function checkpoint() {
    const rows = await rowVersions.mark();
    const stats = await service.stats();
    return { rows, calls: stats.calls, acknowledgedIds: ledger.inboxIdByExternalId.size };
  }

  /**
   * The cost window of a service throughput measurement: from a checkpoint before its warm-up to
   * one after its drain. That closing checkpoint is taken only when Postgres is needed next (the
   * next service warm-up, the end-to-end runs), so that the bare run in between gives the service's
   * idle connections time to publish their counters and the mark settles at once.
   */
  let openWindow;
  async function closeWindow() {
    const closing = await checkpoint();
    if (openWindow) {
      const { entry, from } = openWindow;
      const newEvents = closing.acknowledgedIds - from.acknowledgedIds;
      entry.perEvent = {
        window: `warm-up + measurement${settings.ingestOnly ? '' : ' + drain'} (+ the bare run after it, which leaves Postgres alone)`,
        newEvents,
        rowVersions: rowVersionsPerEvent(from.rows, closing.rows, newEvents),
        statements: statementsPerEvent(from.calls, closing.calls, newEvents),
      };
      openWindow = undefined;
    }
    return closing;
  }

  /** One measured run, with the CPU every process spent on it. */
  async function measure(server, run) {
    const [before, clockBefore] = await Promise.all([cpu.snapshot(server.child.pid), server.stats()]);
    const load = await runLoad({ ...run, durationSeconds: settings.durationSeconds });
    const [after, clockAfter] = await Promise.all([cpu.snapshot(server.child.pid), server.stats()]);
    const measured = { ...load, cpuMicrosPerRequest: CpuAccounting.perRequest(before, after, load.requests) };
    if (server === service) {
      profileWindows.push({ fromMicros: clockBefore.monotonicMicros, toMicros: clockAfter.monotonicMicros });
      measured.roundTripsPer1000Requests = roundTripsPer1000(clockBefore.calls, clockAfter.calls, load.requests);
    }
    return measured;
  }

  // 1. Throughput, alternating targets (order flipped every round), warm-up before each measurement.
  for (let round = 1; round <= settings.rounds; round++) {
    for (const connections of settings.connections) {
      const order = round % 2 === 1 ? ['bare', 'service'] : ['service', 'bare'];
      const pair = {};
      for (const name of order) {
        const target = targets[name];
        const run = { url: target.server.url, factory: target.factory, ledger: target.ledger, connections };
        const from = name === 'service' ? await closeWindow() : undefined;
        if (settings.warmupSeconds > 0) await runLoad({ ...run, durationSeconds: settings.warmupSeconds });
        log(`round ${round}: ${name} at ${connections} connections for ${settings.durationSeconds} s`);
        pair[name] = { round, target: name, ...(await measure(target.server, run)) };
        if (name === 'service' && !settings.ingestOnly) {
          // Let the workers finish this run's events so they do not eat into the next measurement.
          const ms = await waitUntilDrained(db, 180_000);
          result.drains.push({ round, connections, drainMs: ms });
        }
        if (from) openWindow = { entry: pair[name], from };
      }
      pair.service.ratioToBare = round2(pair.service.requestsPerSecond / pair.bare.requestsPerSecond);
      result.throughput.push(pair.bare, pair.service);
      log(
        `  bare ${pair.bare.requestsPerSecond} req/s, service ${pair.service.requestsPerSecond} req/s (×${pair.service.ratioToBare}), service p99 ${pair.service.latencyMs.p99} ms`,
      );
    }
  }
  result.summary = settings.connections.map((connections) => {
    const of = (target) => result.throughput.filter((r) => r.target === target && r.connections === connections);
    const mean = (values) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    return {
      connections,
      bareRequestsPerSecond: mean(of('bare').map((r) => r.requestsPerSecond)),
      serviceRequestsPerSecond: mean(of('service').map((r) => r.requestsPerSecond)),
      serviceWorstP99Ms: Math.max(...of('service').map((r) => r.latencyMs.p99)),
      ratioToBare: round2(of('service').reduce((sum, r) => sum + r.ratioToBare, 0) / of('service').length),
    };
  });

  if (openWindow) await closeWindow();

  /**
   * One end-to-end run: `amount` unique events as fast as they are accepted at the e2e connection
   * count, until every event of `types` is finished; lag and deliveries from the rows, CPU, round
   * trips, statements and row versions per event.
   */
  async function endToEnd({ factory, types, amount, msPerEvent, leftUnfinished = 0 }) {
    const rowsBefore = await rowVersions.mark();
    const idsBefore = ledger.inboxIdByExternalId.size;
    const statsBefore = await service.stats();
    const cpuBefore = await cpu.snapshot(service.child.pid);
    const t0 = await databaseNow(db);
    const post = await runLoad({ url: service.url, connections: settings.e2eConnections, amount, factory, ledger });
    const postedAt = await databaseNow(db);
    const acknowledged = post.statusCodes['200'] ?? 0;
    const acknowledgedIds = ledger.inboxIdByExternalId.size - idsBefore;
    if (acknowledgedIds === 0) throw new Error(`none of the ${amount} ${types} events was acknowledged`);
    const done = await waitUntilProcessed(db, types, acknowledgedIds, 60_000 + amount * msPerEvent, leftUnfinished);
    const cpuAfter = await cpu.snapshot(service.child.pid);
    const statsAfter = await service.stats();
    const facts = await endToEndFacts(db, types);
    const rowsAfter = await rowVersions.mark();
    return {
      run: {
        events: amount,
        acknowledged,
        acknowledgedIds,
        post,
        postedSeconds: (postedAt - t0) / 1000,
        processedSeconds: (done.at - t0) / 1000,
        eventsPerSecond: Math.round(acknowledged / ((done.at - t0) / 1000)),
        processedEvents: done.processed,
        failedEvents: done.failed,
        lagMs: facts.lagMs,
        deliveries: facts.deliveries,
        deliveriesSucceeded: facts.succeeded,
        deliveriesDead: facts.dead,
        eventsWithDelivery: facts.events_with_delivery,
        deliveriesSucceededFirstAttempt: facts.succeeded_first_attempt,
        attemptsRecorded: facts.attempts,
        cpuMicrosPerEvent: CpuAccounting.perRequest(cpuBefore, cpuAfter, acknowledged),
        roundTripsPer1000Events: roundTripsPer1000(statsBefore.calls, statsAfter.calls, acknowledged),
        statementsPerEvent: statementsPerEvent(statsBefore.calls, statsAfter.calls, acknowledgedIds),
        rowVersionsPerEvent: rowVersionsPerEvent(rowsBefore, rowsAfter, acknowledgedIds),
      },
      statsBefore,
      statsAfter,
    };
  }

  /** Every acknowledged event has one delivery per handler of its type, and each succeeded. */
  const deliveredOnce = (e, handlersPerEvent = 1) =>
    e.failedEvents === 0 &&
    e.deliveries === e.acknowledgedIds * handlersPerEvent &&
    e.eventsWithDelivery === e.acknowledgedIds &&
    e.deliveriesSucceeded === e.deliveries;

  // 2. End to end: N unique events as fast as they are accepted, until every delivery succeeded.
  if (settings.events > 0) {
    log(`end to end: ${settings.events} events at ${settings.e2eConnections} connections`);
    const factory = new SignedEnvelopeFactory({ secret, runId, type: 'bench.e2e', duplicateShare: 0, idPrefix: 'e2e' });
    const { run, statsBefore, statsAfter } = await endToEnd({
      factory,
      types: 'bench.e2e',
      amount: settings.events,
      msPerEvent: 10,
    });
    const handler = statsAfter.handler;
    const handlerRunsInRun = handler.runs - statsBefore.handler.runs;
    result.endToEnd = {
      ...run,
      handlerRuns: handler.runs,
      handlerDistinctEvents: handler.distinctEvents,
      handlerEventsRunMoreThanOnce: handler.eventsRunMoreThanOnce,
      handlerRunsInRun,
      // The no-op handler ran once per acknowledged event of this run, none twice, every delivery succeeded.
      exactlyOnce:
        deliveredOnce(run) &&
        handlerRunsInRun === run.acknowledgedIds &&
        handler.eventsRunMoreThanOnce === statsBefore.handler.eventsRunMoreThanOnce,
    };
    log(
      `  ${run.eventsPerSecond} events/s end to end, lag p50 ${run.lagMs.p50} ms p99 ${run.lagMs.p99} ms, ` +
        `${run.rowVersionsPerEvent.total} row versions and ${run.statementsPerEvent.total} statements per event`,
    );
  }

  // 3. End to end with the example feature's real handlers: subscriptions, refunds, chargebacks.
  if (settings.mixEvents > 0) {
    log(`end to end, example mix: ${settings.mixEvents} events at ${settings.e2eConnections} connections`);
    const factory = new SubscriptionMixFactory({ secret, runId });
    const { run, statsBefore, statsAfter } = await endToEnd({
      factory,
      types: MIX_EVENT_TYPES,
      amount: settings.mixEvents,
      // Transactional handlers with a lock per subscription: allow for far fewer events per second.
      msPerEvent: 30,
    });
    const correctness = await checkSubscriptionMix(db, factory, ledger);
    const before = statsBefore.exampleHandlers;
    const after = statsAfter.exampleHandlers;
    result.exampleMix = {
      ...run,
      types: MIX_EVENT_TYPES,
      posted: correctness.posted,
      handlers: after.unavailable
        ? after
        : {
            ...after,
            runsInRun: after.runs - before.runs,
            distinctEventsInRun: after.distinctEvents - before.distinctEvents,
          },
      correctness,
      // Exactly one effect per acknowledged event: every table row right, every delivery succeeded.
      // Each type has its own handler, and the timeline handler takes all three.
      exactlyOnce: correctness.exact && deliveredOnce(run, 2),
    };
    log(
      `  ${run.eventsPerSecond} events/s end to end, lag p50 ${run.lagMs.p50} ms p99 ${run.lagMs.p99} ms, ` +
        `${run.rowVersionsPerEvent.total} row versions and ${run.statementsPerEvent.total} statements per event, ` +
        `tables ${correctness.exact ? 'exact' : 'NOT exact'}`,
    );
  }

  // 4. Cost as work grows: the same acknowledgement run with the table at full size, then admin pages.
  if (settings.tableRows > 0) {
    if (!settings.ingestOnly) await waitUntilDrained(db, 180_000);
    const rowsBefore = await countRows();
    const baseline = result.throughput.find((r) => r.target === 'service' && r.connections === settings.connections[0]);
    log(`seeding webhook_events up to ${settings.tableRows} rows`);
    const seeded = await seedHistory(
      db,
      settings.tableRows,
      serviceFactory.template.before + 'x' + serviceFactory.template.after,
    );
    const connections = settings.connections[0];
    const run = { url: service.url, factory: serviceFactory, ledger, connections };
    if (settings.warmupSeconds > 0) await runLoad({ ...run, durationSeconds: settings.warmupSeconds });
    const rowsInTable = await countRows();
    log(`acknowledgement at ${rowsInTable} rows, ${connections} connections`);
    const ack = await measure(service, run);
    if (!settings.ingestOnly) await waitUntilDrained(db, 180_000);
    const adminPages = await measureAdminPages({ url: service.url, adminKey, db });
    result.atScale = {
      rowsInTable,
      seedSeconds: seeded.ms / 1000,
      baseline: { rowsInTable: rowsBefore, rowsNote: 'at most (counted after the run)', ...baseline },
      ack: { rowsInTable, ...ack },
      adminPages,
    };
  }

  // 5. Ordering, last (its poison key stays blocked): the same no-op handler unordered, then
  // ordered over --ordered-keys keys; then ordered over a tenth of the keys, one of them blocked by a
  // dead head, to see what the blocked key costs the others.
  if (settings.orderedEvents > 0) {
    const ordering = { keys: settings.orderedKeys, events: settings.orderedEvents };
    const summary = (run) => ({
      eventsPerSecond: run.eventsPerSecond,
      processedSeconds: run.processedSeconds,
      lagMs: run.lagMs,
      cpuMicrosPerEvent: run.cpuMicrosPerEvent,
      statementsPerEvent: run.statementsPerEvent,
      rowVersionsPerEvent: run.rowVersionsPerEvent,
      deliveriesSucceeded: run.deliveriesSucceeded,
      deliveriesSucceededFirstAttempt: run.deliveriesSucceededFirstAttempt,
    });
    for (const [name, type] of [
      ['unordered', ORDERING_EVENT_TYPES.unordered],
      ['ordered', ORDERING_EVENT_TYPES.ordered],
    ]) {
      log(`ordering: ${settings.orderedEvents} events, no-op handler ${name}`);
      const factory = new SignedEnvelopeFactory({ secret, runId, type, duplicateShare: 0, idPrefix: name });
      const { run } = await endToEnd({ factory, types: type, amount: settings.orderedEvents, msPerEvent: 10 });
      ordering[name] = summary(run);
      log(`  ${run.eventsPerSecond} events/s, lag p50 ${run.lagMs.p50} ms p99 ${run.lagMs.p99} ms`);
    }
    ordering.ratio = round2(ordering.ordered.eventsPerSecond / ordering.unordered.eventsPerSecond);

    const poisonKeys = Math.max(1, Math.round(settings.orderedKeys / 10));
    // Event n has key n mod poisonKeys; event 1 is the poison: its key keeps the later events of that key.
    const held = Math.floor((settings.orderedEvents - 1) / poisonKeys);
    log(`ordering: ${settings.orderedEvents} events over ${poisonKeys} keys, one key blocked by a dead head`);
    const factory = new SignedEnvelopeFactory({
      secret,
      runId,
      type: ORDERING_EVENT_TYPES.poison,
      duplicateShare: 0,
      idPrefix: 'poison',
    });
    const { run } = await endToEnd({
      factory,
      types: ORDERING_EVENT_TYPES.poison,
      amount: settings.orderedEvents,
      msPerEvent: 10,
      leftUnfinished: held,
    });
    const { rows: blocked } = await db.query(
      `SELECT d.order_key, count(*) FILTER (WHERE d.status = 'pending')::int AS waiting,
              count(*) FILTER (WHERE d.status = 'dead')::int AS dead
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
       WHERE e.type = $1 AND d.status <> 'succeeded' GROUP BY d.order_key`,
      [ORDERING_EVENT_TYPES.poison],
    );
    ordering.poison = {
      ...summary(run),
      keys: poisonKeys,
      blockedKeys: blocked,
      expectedHeld: held,
      // The others: every event of every other key processed, at this rate.
      otherKeysEventsPerSecond: Math.round(run.processedEvents / run.processedSeconds),
      otherKeysProcessed: run.processedEvents,
      onlyItsKeyHeld:
        blocked.length === 1 &&
        blocked[0].order_key === `k${1 % poisonKeys}` &&
        blocked[0].waiting === held &&
        blocked[0].dead === 1 &&
        run.processedEvents === run.acknowledgedIds - held - 1,
    };
    result.ordering = ordering;
    log(
      `  ordered ${ordering.ordered.eventsPerSecond} vs unordered ${ordering.unordered.eventsPerSecond} events/s ` +
        `(× ${ordering.ratio}); with one key blocked, the other keys ${ordering.poison.otherKeysEventsPerSecond} events/s, ` +
        `${held} held behind the poison, only its key held: ${ordering.poison.onlyItsKeyHeld ? 'yes' : 'NO'}`,
    );
  }

  // 6. Peak memory, then the table against every acknowledgement of the run.
  log('stopping the servers');
  const [serviceStats, bareStats] = await Promise.all([service.stop(), bare.stop()]);
  log('checking the events table against the acknowledgements');
  result.rss = {
    serviceMb: mb(serviceStats?.maxRssKb),
    bareMb: mb(bareStats?.maxRssKb),
    loadGeneratorMb: mb(process.resourceUsage().maxRSS),
  };
  result.ackCheck = await checkAcknowledgedIds(db, ledger);
  result.exactlyOnce = await exactlyOnceCheck(serviceStats?.handler);
  if (settings.profile) {
    const file = newestProfile(profileDir);
    if (file) result.profile = summariseCpuProfile(file, { windows: profileWindows });
  }

  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(markdownReport(result));
  console.log(`\nFull results: ${path.relative(root, file)}`);
}

/**
 * Every event the no-op handler should have seen, against what it saw: one run per event with a
 * delivery of its own, none twice. (Every bench.* event has exactly one handler, the no-op one; the
 * example mix's deliveries belong to the example handlers and are checked by their tables.)
 */
async function exactlyOnceCheck(handler) {
  const {
    rows: [db_],
  } = await db.query(
    `SELECT count(*)::int AS deliveries, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            (SELECT count(*)::int FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
             WHERE d.handler = $1) AS attempts
     FROM webhook_deliveries WHERE handler = $1`,
    [NOOP_HANDLER_NAME],
  );
  const exact =
    handler !== undefined &&
    handler.runs === handler.distinctEvents &&
    handler.eventsRunMoreThanOnce === 0 &&
    handler.distinctEvents === db_.deliveries &&
    db_.succeeded === db_.deliveries &&
    db_.attempts === db_.deliveries;
  return {
    handlerRuns: handler?.runs,
    handlerDistinctEvents: handler?.distinctEvents,
    handlerEventsRunMoreThanOnce: handler?.eventsRunMoreThanOnce,
    ...db_,
    exact,
  };
}

async function countRows() {
  const { rows } = await db.query('SELECT count(*)::int AS count FROM webhook_events');
  return rows[0].count;
}

async function machineFacts() {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const info = await redis.info('server').finally(() => redis.disconnect());
  const { rows } = await db.query('SHOW server_version');
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: `PostgreSQL ${rows[0].server_version.split(' ')[0]}`,
    redis: /redis_version:(\S+)/.exec(info)?.[1],
    redisPid: Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined,
    loadAverageAtStart: os.loadavg().map((v) => round2(v)),
  };
}

function newestProfile(dir) {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    files.sort((a, b) => statSync(path.join(dir, b)).mtimeMs - statSync(path.join(dir, a)).mtimeMs);
    return files[0] ? path.join(dir, files[0]) : undefined;
  } catch {
    return undefined;
  }
}

const mb = (kb) => (kb ? Math.round(kb / 1024) : null);
const round2 = (value) => Math.round(value * 100) / 100;

try {
  await main();
} catch (error) {
  log(`FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
