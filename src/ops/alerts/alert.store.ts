import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool.js';

/** Width of one counter bucket: windows are summed from whole buckets, on the database's clock. */
export const BUCKET_SECONDS = 10;

/** Counter names: a handler's attempts and failed attempts, and signature refusals. */
export const counterNames = {
  attempts: (handler: string) => `handler.attempts:${handler}`,
  failures: (handler: string) => `handler.failures:${handler}`,
  signatureFailures: 'signature.failures',
} as const;

// Only the replica whose statement changes the row gets it back: a concurrent one waits for the
// row lock, then finds the state already changed and returns nothing.
const FIRE = `
  INSERT INTO alert_states AS s (condition_key, firing) VALUES ($1, true)
  ON CONFLICT (condition_key) DO UPDATE SET firing = true, changed_at = now() WHERE NOT s.firing
  RETURNING condition_key`;
const RECOVER = `
  UPDATE alert_states SET firing = false, changed_at = now() WHERE condition_key = $1 AND firing
  RETURNING condition_key`;
const FIRING = `SELECT condition_key FROM alert_states WHERE firing`;
const ADD_COUNTS = `
  INSERT INTO alert_counters AS c (name, bucket_start, value)
  SELECT name, date_bin(make_interval(secs => ${BUCKET_SECONDS}), now(), timestamptz 'epoch'), value
  FROM unnest($1::text[], $2::bigint[]) AS t (name, value)
  ON CONFLICT (name, bucket_start) DO UPDATE SET value = c.value + excluded.value`;
const SUMS = `
  SELECT name, sum(value)::float8 AS value FROM alert_counters
  WHERE (name LIKE 'handler.%' AND bucket_start > now() - make_interval(secs => $1))
     OR (name = '${counterNames.signatureFailures}' AND bucket_start > now() - make_interval(secs => $2))
  GROUP BY name`;
const PRUNE = `DELETE FROM alert_counters WHERE bucket_start < now() - make_interval(secs => $1)`;
const SEEN = `
  INSERT INTO alert_source_activity AS a (source, last_event_at) SELECT unnest($1::text[]), now()
  ON CONFLICT (source) DO UPDATE SET last_event_at = greatest(a.last_event_at, excluded.last_event_at)`;
// A source never heard from counts its silence from the first time a replica watched it.
const WATCH = `
  INSERT INTO alert_source_activity (source, last_event_at) SELECT unnest($1::text[]), now()
  ON CONFLICT (source) DO NOTHING`;
const SILENCES = `
  SELECT source, extract(epoch from now() - last_event_at)::float8 AS silent_seconds
  FROM alert_source_activity WHERE source = ANY($1::text[])`;

/**
 * Every statement on the alert tables. The condition states are the replicas' shared memory of
 * what was announced: `fire` and `recover` return true for exactly one caller per change.
 */
@Injectable()
export class AlertStore {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async fire(key: string): Promise<boolean> {
    return (await this.pool.query(FIRE, [key])).rowCount === 1;
  }

  async recover(key: string): Promise<boolean> {
    return (await this.pool.query(RECOVER, [key])).rowCount === 1;
  }

  async firing(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ condition_key: string }>(FIRING);
    return new Set(rows.map((row) => row.condition_key));
  }

  /** Adds this process's counts to the current bucket. */
  async addCounts(counts: ReadonlyMap<string, number>): Promise<void> {
    if (counts.size === 0) return;
    await this.pool.query(ADD_COUNTS, [[...counts.keys()], [...counts.values()]]);
  }

  /** Counter totals: the handler counters over the handler window, signature refusals over theirs. */
  async sums(handlerWindowSeconds: number, signatureWindowSeconds: number): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ name: string; value: number }>(SUMS, [
      handlerWindowSeconds,
      signatureWindowSeconds,
    ]);
    return new Map(rows.map((row) => [row.name, row.value]));
  }

  async prune(olderThanSeconds: number): Promise<void> {
    await this.pool.query(PRUNE, [olderThanSeconds]);
  }

  async sourcesSeen(sources: readonly string[]): Promise<void> {
    if (sources.length > 0) await this.pool.query(SEEN, [sources]);
  }

  async watchSources(sources: readonly string[]): Promise<void> {
    if (sources.length > 0) await this.pool.query(WATCH, [sources]);
  }

  async silences(sources: readonly string[]): Promise<{ source: string; silentSeconds: number }[]> {
    const { rows } = await this.pool.query<{ source: string; silent_seconds: number }>(SILENCES, [sources]);
    return rows.map((row) => ({ source: row.source, silentSeconds: row.silent_seconds }));
  }
}
