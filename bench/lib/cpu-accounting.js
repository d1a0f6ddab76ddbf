// Where the machine's CPU goes during a run, per process group: the load generator (this process),
// the server under test, the Postgres backends serving the bench database, and Redis. On a 2-core
// machine the ratio to the bare endpoint is decided by this sum, not by the Node process alone.
import { readFileSync } from 'node:fs';

const TICK_MICROS = 1_000_000 / 100; // Linux USER_HZ is 100 on every mainstream kernel

/** utime + stime of a process in µs, or undefined when it is gone (or not on Linux). */
function processCpuMicros(pid) {
  const times = processTimes(pid);
  return times && times.user + times.system;
}

function processTimes(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) * TICK_MICROS, system: Number(fields[12]) * TICK_MICROS };
  } catch {
    return undefined;
  }
}

export class CpuAccounting {
  /** `postgresPids()` lists the backends of the bench database; `redisPid` is the Redis server's. */
  constructor({ db, redisPid }) {
    this.db = db;
    this.redisPid = redisPid;
  }

  async snapshot(serverPid) {
    const { rows } = await this.db.query(
      `SELECT pid, coalesce(nullif(application_name, ''), backend_type) AS name FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const generator = process.cpuUsage();
    const postgres = new Map(rows.map((row) => [row.pid, processCpuMicros(row.pid) ?? 0]));
    const postgresSystem = new Map(rows.map((row) => [row.pid, processTimes(row.pid)?.system ?? 0]));
    const postgresNames = new Map(rows.map((row) => [row.pid, row.name]));
    return {
      generator: generator.user + generator.system,
      server: processCpuMicros(serverPid) ?? 0,
      postgres,
      postgresSystem,
      postgresNames,
      redis: this.redisPid ? (processCpuMicros(this.redisPid) ?? 0) : 0,
    };
  }

  /** CPU µs per request of each group between two snapshots (Postgres: backends present at the end). */
  static perRequest(before, after, requests) {
    let postgres = 0;
    let postgresSystem = 0;
    for (const [pid, micros] of after.postgresSystem) postgresSystem += micros - (before.postgresSystem.get(pid) ?? 0);
    const byBackend = {};
    for (const [pid, micros] of after.postgres) {
      const used = micros - (before.postgres.get(pid) ?? 0);
      postgres += used;
      const name = after.postgresNames.get(pid);
      byBackend[name] = (byBackend[name] ?? 0) + used;
    }
    const per = (micros) => Math.round(micros / requests);
    const result = {
      generator: per(after.generator - before.generator),
      server: per(after.server - before.server),
      postgres: per(postgres),
      redis: per(after.redis - before.redis),
    };
    result.total = result.generator + result.server + result.postgres + result.redis;
    result.postgresSystem = per(postgresSystem);
    result.postgresByBackend = Object.fromEntries(
      Object.entries(byBackend).map(([name, micros]) => [name, per(micros)]),
    );
    return result;
  }
}
