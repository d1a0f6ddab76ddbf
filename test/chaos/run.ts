/**
 * npm run test:chaos — never lose an acknowledged webhook, under fire.
 *
 * Starts its OWN Postgres (initdb into a temp folder) and its OWN Redis (AOF, as in
 * docker-compose.yml) on free ports — the machine's shared services are never touched — then runs
 * 2 api and 2 worker processes of the built service (`node dist/src/app/main.js`), has a simulated
 * provider post a few thousand signed events through both apis (duplicates included, retrying
 * until it gets a 2xx), and meanwhile kills, hangs and restarts Redis, Postgres, an api and a
 * worker (kill -9 and SIGTERM). At the end it checks the database against what was acknowledged,
 * prints what was injected and what was verified, and exits 1 on any failure.
 *
 * CHAOS_SUBSCRIPTIONS (default 1000: three events each) and CHAOS_SEED replay a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { countEvents } from '../support/inbox-rows.js';
import { installEffectLog } from '../support/infra/effect-log.js';
import { freePort } from '../support/infra/ports.js';
import { PrivatePostgres } from '../support/infra/private-postgres.js';
import { PrivateRedis } from '../support/infra/private-redis.js';
import { RestartableService } from '../support/infra/service-process.js';
import { newSecret } from '../support/signing.js';
import { sleep, waitFor } from '../support/wait.js';
import { buildPlan, random } from './plan.js';
import { Provider, type SendRecord } from './provider.js';
import { type Check, verify } from './verify.js';

const SUBSCRIPTIONS = Number(process.env.CHAOS_SUBSCRIPTIONS ?? 1000);
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const LOAD_MS = 80_000;
const DRAIN_TIMEOUT_MS = 150_000;
/** Ingestion must not wait on Redis: an answer slower than this while Redis is down or hung fails the run. */
const FAST_ANSWER_MS = 2000;
/** The issue's bound: no committed event waits longer than this to be queued after Redis returns. */
const RELAY_BOUND_MS = 10_000;

interface Fault {
  at: number;
  injected: string;
  observed: string;
  /** Unset for faults whose consequences only the end-state checks can judge. */
  ok?: boolean;
}

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
const log = (message: string) => console.log(`[${since()}] ${message}`);

const services: RestartableService[] = [];
let postgres: PrivatePostgres | undefined;
let redis: PrivateRedis | undefined;
const logDir = mkdtempSync(join(tmpdir(), 'webhook-inbox-chaos-'));

// Whatever happens (an exception, Ctrl-C, CI's timeout), nothing the suite started outlives it.
process.on('exit', () => {
  for (const service of services) service.killSync();
  redis?.destroySync();
  postgres?.destroySync();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

async function main(): Promise<number> {
  log(`seed ${SEED}, ${SUBSCRIPTIONS} subscriptions, logs in ${logDir}`);
  const plan = buildPlan(`${SEED}`, SUBSCRIPTIONS, 0.15, random(SEED));
  log(
    `plan: ${plan.events.length} events, ${plan.sends.length} sends (${plan.sends.length - plan.events.length} duplicates)`,
  );

  [postgres, redis] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start({ aof: true })]);
  log(`own Postgres on ${postgres.port}, own Redis (AOF) on ${redis.port}`);
  const db = new pg.Pool({ connectionString: postgres.url('inbox'), max: 3 });
  db.on('error', () => undefined); // its idle connections die with the server on purpose

  const secret = newSecret();
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: postgres.url('inbox'),
    REDIS_URL: redis.url,
    // A Redis Cluster hash tag: every key of the deployment in one slot (plain Redis just sees a name).
    QUEUE_PREFIX: `{chaos-${SEED}}`,
    WEBHOOK_SECRET: secret,
    SHUTDOWN_GRACE_MS: '10000',
  };
  const ports = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const [api1, api2, worker1, worker2] = [
    new RestartableService('api-1', ports[0], { ...env, APP_ROLE: 'api' }, logDir),
    new RestartableService('api-2', ports[1], { ...env, APP_ROLE: 'api' }, logDir),
    new RestartableService('worker-1', ports[2], { ...env, APP_ROLE: 'worker' }, logDir),
    new RestartableService('worker-2', ports[3], { ...env, APP_ROLE: 'worker' }, logDir),
  ];
  services.push(api1, api2, worker1, worker2);
  await worker1.start(); // creates the database and runs the migrations
  await installEffectLog(db);
  await Promise.all([api2, worker2, api1].map((service) => service.start()));
  log('2 api + 2 worker processes up');

  const loadStart = Date.now();
  const provider = new Provider([api1.url, api2.url], secret, loadStart);
  const load = provider.run(plan.sends, LOAD_MS, 24).then(() => log('provider: every event sent'));
  const faults = await injectFaults(loadStart, provider, db, { api1, api2, worker1, worker2 });
  await load;

  log('waiting for every event to reach a final state');
  const drainStart = Date.now();
  await waitFor(
    async () => (await countEvents(db, { status: ['received', 'queued'] })) === 0,
    DRAIN_TIMEOUT_MS,
    'every event to reach a final state',
    500,
  ).catch((error: Error) => log(error.message));
  log(`drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the load ended`);

  const client = await db.connect();
  const checks = await verify(client, plan, provider);
  client.release();
  checks.push(...processChecks(provider.sends));
  const { rows: reruns } = await db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE attempts > 1`);
  await db.end();

  report(faults, checks, provider.sends);
  console.log(`(deliveries that took more than one run, after crashes, outages or poison retries: ${reruns[0].n})`);
  const ok = faults.every((fault) => fault.ok !== false) && checks.every((check) => check.ok);
  if (!ok) {
    for (const service of services)
      console.log(`\n--- last lines of ${service.name} (${service.logFile}) ---\n${service.tail()}`);
  }
  return ok ? 0 : 1;
}

/** The fault schedule, each at a fixed time after the load started; returns what was seen. */
async function injectFaults(
  start: number,
  provider: Provider,
  db: pg.Pool,
  p: Record<'api1' | 'api2' | 'worker1' | 'worker2', RestartableService>,
): Promise<Fault[]> {
  const faults: Fault[] = [];
  const at = async (ms: number) => {
    const wait = start + ms - Date.now();
    if (wait > 0) await sleep(wait);
    return Date.now() - start;
  };
  const window = (from: number, to: number) => provider.sends.filter((send) => send.at >= from && send.at < to);
  const slowest = (sends: SendRecord[]) => Math.max(0, ...sends.map((send) => send.ms));
  const ok2xx = (sends: SendRecord[]) => sends.filter((send) => send.status >= 200 && send.status < 300).length;

  // 1. Redis crashes; ingestion keeps acknowledging; the relay catches up once it is back.
  const redisDown = await at(6_000);
  log('fault: Redis kill -9');
  await redis!.kill9();
  await sleep(8_000);
  const redisBack = Date.now();
  await redis!.start();
  log('Redis restarted (AOF replayed)');
  const relay = relayCatchUp(db, new Date(redisBack)).then(
    (result) => result,
    (error: Error) => ({ backlog: -1, ms: -1, error: error.message }),
  );
  const downSends = window(redisDown, redisBack - start);
  const caught = await relay;
  faults.push({
    at: redisDown,
    injected: 'Redis kill -9, restarted after 8 s',
    observed:
      `${ok2xx(downSends)}/${downSends.length} answered 2xx while down, slowest ${slowest(downSends)} ms; ` +
      (caught.ms >= 0
        ? `relay queued the ${caught.backlog} waiting events ${(caught.ms / 1000).toFixed(1)} s after Redis returned`
        : `relay: ${'error' in caught ? caught.error : ''}`),
    ok:
      downSends.length > 0 &&
      ok2xx(downSends) === downSends.length &&
      slowest(downSends) < FAST_ANSWER_MS &&
      caught.ms >= 0 &&
      caught.ms <= RELAY_BOUND_MS,
  });

  // 2. Redis hangs (accepts connections, answers nothing).
  const hangAt = await at(26_000);
  log('fault: Redis SIGSTOP (hung)');
  redis!.hang();
  await sleep(5_000);
  redis!.unhang();
  log('Redis SIGCONT');
  const hungSends = window(hangAt, Date.now() - start);
  faults.push({
    at: hangAt,
    injected: 'Redis hung (SIGSTOP) for 5 s',
    observed: `${ok2xx(hungSends)}/${hungSends.length} answered 2xx while hung, slowest ${slowest(hungSends)} ms`,
    ok: hungSends.length > 0 && ok2xx(hungSends) === hungSends.length && slowest(hungSends) < FAST_ANSWER_MS,
  });

  // 3. Postgres crashes: 503 + Retry-After, never a 2xx; workers pause; all heals by itself.
  const pgDown = await at(36_000);
  log('fault: Postgres kill -9');
  await postgres!.kill9();
  const pgDead = Date.now() - start;
  await sleep(8_000);
  const pgRestart = Date.now() - start;
  await postgres!.start();
  log('Postgres restarted (crash recovery)');
  const firstAck = await waitFor(
    () => provider.sends.find((send) => send.at >= pgRestart && send.status === 200),
    20_000,
    'a 2xx after Postgres returned',
    200,
  ).catch(() => undefined);
  // Answered while the server was gone: a 2xx here would acknowledge an event that was never committed.
  const deadSends = provider.sends.filter((send) => send.at >= pgDead && send.at + send.ms < pgRestart);
  faults.push({
    at: pgDown,
    injected: 'Postgres kill -9, restarted after 8 s',
    observed:
      `${ok2xx(deadSends)} 2xx / ${deadSends.filter((send) => send.status === 503).length} 503 while down` +
      ` (slowest ${slowest(deadSends)} ms); 2xx again ${firstAck ? ((firstAck.at - pgRestart) / 1000).toFixed(1) : '-'} s after restart`,
    ok: ok2xx(deadSends) === 0 && deadSends.some((send) => send.status === 503) && !!firstAck,
  });

  // 4. A worker dies mid-work: its jobs are recovered (stalled-job recovery, then the relay).
  const w1 = await at(54_000);
  log('fault: worker-1 kill -9');
  await p.worker1.kill9();
  await sleep(3_000);
  await p.worker1.start();
  faults.push({
    at: w1,
    injected: 'worker-1 kill -9 under load, restarted after 3 s',
    observed: 'its jobs are re-run: see the checks below',
  });

  // 5. A deploy of api-1: SIGTERM, drain, exit 0; no request it had started is answered 5xx.
  const a1 = await at(60_000);
  log('fault: api-1 SIGTERM');
  const a1Code = await p.api1.terminate();
  const a1Stopped = Date.now() - start;
  await sleep(2_000);
  const a1Back = Date.now() - start;
  await p.api1.start();
  const a1Sends = provider.sends.filter((send) => send.api === 0 && send.at >= a1 && send.at < a1Back);
  faults.push({
    at: a1,
    injected: 'api-1 SIGTERM (deploy), restarted after 2 s',
    observed:
      `exit code ${a1Code} after ${((a1Stopped - a1) / 1000).toFixed(1)} s; meanwhile ${a1Sends.filter((s) => s.status === 503).length} × 503, ` +
      `${a1Sends.filter((s) => s.status === 0).length} refused, ${ok2xx(a1Sends)} × 200 on it`,
    ok: a1Code === 0,
  });

  // 6. api-2 crashes: connections reset, the provider retries elsewhere.
  const a2 = await at(68_000);
  log('fault: api-2 kill -9');
  await p.api2.kill9();
  await sleep(2_000);
  await p.api2.start();
  const a2Back = Date.now() - start;
  const a2Sends = provider.sends.filter((send) => send.api === 1 && send.at >= a2 - 1000 && send.at < a2Back);
  faults.push({
    at: a2,
    injected: 'api-2 kill -9, restarted',
    observed: `${a2Sends.filter((s) => s.status === 0).length} requests dropped or refused, retried by the provider: see the checks below`,
  });

  // 7. A deploy of worker-2: running handlers finish, the workers close, exit 0.
  const w2 = await at(74_000);
  log('fault: worker-2 SIGTERM');
  const w2Code = await p.worker2.terminate();
  const w2Stopped = Date.now() - start;
  await p.worker2.start();
  faults.push({
    at: w2,
    injected: 'worker-2 SIGTERM (deploy), restarted',
    observed: `exit code ${w2Code} after ${((w2Stopped - w2) / 1000).toFixed(1)} s`,
    ok: w2Code === 0,
  });
  return faults;
}

/** How long after Redis returned until no event received before that moment is still un-queued. */
async function relayCatchUp(db: pg.Pool, back: Date): Promise<{ backlog: number; ms: number }> {
  const waiting = () => countEvents(db, { status: 'received', receivedBefore: back });
  const backlog = await waiting();
  await waitFor(async () => (await waiting()) === 0, 20_000, 'the relay to queue the Redis-outage backlog', 200);
  return { backlog, ms: Date.now() - back.getTime() };
}

/** Answers the provider got, over the whole run. */
function processChecks(sends: SendRecord[]): Check[] {
  const unexpected = sends.filter((send) => ![200, 503, 0].includes(send.status));
  return [
    {
      name: 'no answer other than 200, 503 (+Retry-After) or a dropped connection',
      ok: unexpected.length === 0,
      detail: `${unexpected.length} unexpected${unexpected.length ? ` (e.g. ${unexpected[0].status})` : ''}`,
    },
  ];
}

function report(faults: Fault[], checks: Check[], sends: SendRecord[]): void {
  const count = (status: number) => sends.filter((send) => send.status === status).length;
  const rows = (header: string[], body: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
    const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
    console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'));
  };
  console.log(
    `\nChaos run (seed ${SEED}): ${sends.length} requests — ${count(200)} × 200, ${count(503)} × 503, ${count(0)} dropped\n`,
  );
  const verdict = (ok?: boolean) => (ok === undefined ? '-' : ok ? 'PASS' : 'FAIL');
  rows(
    ['at', 'injected', 'observed', 'result'],
    faults.map((f) => [`${(f.at / 1000).toFixed(1)}s`, f.injected, f.observed, verdict(f.ok)]),
  );
  console.log('');
  rows(
    ['verified', 'detail', 'result'],
    checks.map((c) => [c.name, c.detail, c.ok ? 'PASS' : 'FAIL']),
  );
  const judged = [...faults.map((f) => f.ok).filter((ok) => ok !== undefined), ...checks.map((c) => c.ok)];
  const failed = judged.filter((ok) => !ok).length;
  const passed = judged.length - failed;
  console.log(`\nchaos: ${passed} passed, ${failed} failed`);
}

async function cleanup(ok: boolean): Promise<void> {
  await Promise.all(services.map((service) => service.kill9()));
  await Promise.all([redis?.destroy(), postgres?.destroy()]);
  redis = undefined;
  postgres = undefined;
  if (ok) rmSync(logDir, { recursive: true, force: true });
  else console.log(`\nlogs kept in ${logDir}`);
}

void main()
  .catch((error: Error) => {
    console.error(`chaos run aborted: ${error.stack ?? error.message}`);
    return 1;
  })
  .then(async (code) => {
    await cleanup(code === 0).catch((error: Error) => console.error(`cleanup: ${error.message}`));
    log(`done (${code === 0 ? 'PASS' : 'FAIL'})`);
    process.exit(code);
  });
