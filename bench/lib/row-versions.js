// Row versions per event, from Postgres's own counters: pg_stat_user_tables' n_tup_ins, n_tup_upd,
// n_tup_hot_upd and n_tup_del of the inbox tables (and the example feature's), read at marks
// between which the bench runs one scenario to its end, divided by the events acknowledged there.
//
// Postgres publishes these counters late: a backend adds its counts to the shared statistics when
// it goes idle, at most once a second, and a backend that went idle with counts still pending
// publishes them only about 10 s later (PGSTAT_IDLE_INTERVAL), or when it next runs a statement.
// pg_stat_force_next_flush() only hurries the backend that calls it. So a mark waits until two
// reads 1 s apart agree *and* the counters cover what the tables show happened since the previous
// mark (rows added; events received and queued, one update, or finished, two; deliveries
// created and finished: started, then given an outcome, two updates; subscriptions written),
// bounded by `timeoutMs`. A mark that gave up says so (`settled: false`); counts published after
// it land in the next window. `stableButShort` records the first pair of agreeing reads that did
// not yet cover the tables: what "two reads agree" alone would have reported.
import { delay } from './processes.js';

export const INBOX_TABLES = ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts'];

/**
 * Updates each table must at least have counted for the rows the window left behind: every
 * timestamp here is the database's now() of the statement that wrote it, so a row at or after
 * `since` was written after the previous mark's last read.
 */
const UPDATE_BOUNDS = {
  // received → queued → processed/failed; received or queued → ignored.
  webhook_events: `SELECT (2 * count(*) FILTER (WHERE status IN ('processed', 'failed'))
                           + count(*) FILTER (WHERE status IN ('queued', 'ignored')))::int AS n
                   FROM webhook_events WHERE received_at >= $1::timestamptz`,
  webhook_deliveries: `SELECT 2 * count(*)::int AS n FROM webhook_deliveries
                       WHERE created_at >= $1::timestamptz AND status IN ('succeeded', 'dead')`,
  subscriptions: `SELECT count(*)::int AS n FROM subscriptions WHERE updated_at >= $1::timestamptz`,
};

const FIELDS = ['ins', 'upd', 'hot', 'del'];

export class RowVersionMeter {
  constructor(db, tables, { intervalMs = 1000, timeoutMs = 15_000 } = {}) {
    this.db = db;
    this.tables = tables;
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.last = undefined;
    this.forceFlush = undefined;
  }

  async counters() {
    const { rows } = await this.db.query(
      `SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot,
              n_tup_del::float8 AS del
       FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY($1::text[])`,
      [this.tables],
    );
    const byTable = Object.fromEntries(this.tables.map((t) => [t, { ins: 0, upd: 0, hot: 0, del: 0 }]));
    for (const row of rows) byTable[row.relname] = { ins: row.ins, upd: row.upd, hot: row.hot, del: row.del };
    return byTable;
  }

  async rowCounts() {
    const { rows } = await this.db.query(
      `SELECT ${this.tables.map((t, i) => `(SELECT count(*) FROM ${t})::float8 AS c${i}`).join(', ')}`,
    );
    return Object.fromEntries(this.tables.map((t, i) => [t, rows[0][`c${i}`]]));
  }

  /** Publishes this session's own pending counts (Postgres 15+); other backends publish on their own. */
  async flushOwn() {
    if (this.forceFlush === undefined) {
      const { rows } = await this.db.query(`SELECT current_setting('server_version_num')::int >= 150000 AS supported`);
      this.forceFlush = rows[0].supported;
    }
    if (this.forceFlush) await this.db.query('SELECT pg_stat_force_next_flush()');
  }

  /** What the counters must at least show, compared with the previous mark. */
  async lowerBounds() {
    if (!this.last) return undefined;
    const counts = await this.rowCounts();
    const bounds = {};
    for (const table of this.tables) {
      bounds[table] = { ins: Math.max(0, counts[table] - this.last.rowCounts[table]), upd: 0 };
      if (UPDATE_BOUNDS[table]) {
        const { rows } = await this.db.query(UPDATE_BOUNDS[table], [this.last.since]);
        bounds[table].upd = rows[0].n;
      }
    }
    return bounds;
  }

  /** A settled snapshot of the counters (see the top of this file). */
  async mark() {
    const startedAt = Date.now();
    await this.flushOwn();
    const bounds = await this.lowerBounds();
    let previous = await this.counters();
    let reads = 1;
    let stable;
    let unmet;
    let stableButShort;
    for (;;) {
      await delay(this.intervalMs);
      await this.flushOwn();
      const current = await this.counters();
      reads++;
      stable = this.tables.every((t) => FIELDS.every((f) => current[t][f] === previous[t][f]));
      unmet = this.unmetBounds(current, bounds);
      if (stable && unmet.length > 0 && !stableButShort) stableButShort = { afterMs: Date.now() - startedAt, unmet };
      previous = current;
      if ((stable && unmet.length === 0) || Date.now() - startedAt >= this.timeoutMs) break;
    }
    // Read after the last counters: whatever is written from here on counts in the next window.
    const {
      rows: [{ since }],
    } = await this.db.query('SELECT clock_timestamp()::text AS since');
    this.last = {
      since,
      counters: previous,
      rowCounts: await this.rowCounts(),
      settle: {
        ms: Date.now() - startedAt,
        reads,
        stable,
        unmetBounds: unmet,
        stableButShort,
        settled: stable && unmet.length === 0,
      },
    };
    return this.last;
  }

  unmetBounds(current, bounds) {
    if (!bounds || !this.last) return [];
    const unmet = [];
    for (const table of this.tables) {
      for (const field of ['ins', 'upd']) {
        const counted = current[table][field] - this.last.counters[table][field];
        if (counted < bounds[table][field]) unmet.push({ table, field, counted, atLeast: bounds[table][field] });
      }
    }
    return unmet;
  }
}

/**
 * Row versions per event between two marks. The acknowledgement is charged what the ingest path
 * writes, the webhook_events inserts; processing everything else (the event's status updates, the
 * deliveries, the attempts, the handlers' own tables). Row versions = inserts + updates.
 */
export function rowVersionsPerEvent(before, after, events) {
  const per = (value) => (events > 0 ? Math.round((value / events) * 1000) / 1000 : null);
  const tables = {};
  let ack = 0;
  let processing = 0;
  for (const table of Object.keys(after.counters)) {
    const d = Object.fromEntries(FIELDS.map((f) => [f, after.counters[table][f] - before.counters[table][f]]));
    tables[table] = {
      inserts: per(d.ins),
      updates: per(d.upd),
      hotUpdates: per(d.hot),
      deletes: per(d.del),
      rowVersions: per(d.ins + d.upd),
      counted: d,
    };
    if (table === 'webhook_events') {
      ack += d.ins;
      processing += d.upd;
    } else {
      processing += d.ins + d.upd;
    }
  }
  return {
    events,
    ack: per(ack),
    processing: per(processing),
    total: per(ack + processing),
    tables,
    settled: after.settle.settled && before.settle.settled,
    settle: { beforeMs: before.settle.ms, afterMs: after.settle.ms, after: after.settle },
    window: { from: before.since, to: after.since },
  };
}
