// The bench's own database (created fresh, dropped after) and the checks it runs there.
import pg from 'pg';
import { delay } from './processes.js';

export async function createDatabase(serverUrl, name) {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl, name) {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Waits until no event and no delivery is left unfinished; returns the milliseconds it took. */
export async function waitUntilDrained(db, timeoutMs) {
  const startedAt = Date.now();
  while (Date.now() - startedAt < timeoutMs) {
    const { rows } = await db.query(`
      SELECT (SELECT count(*) FROM webhook_events WHERE status IN ('received', 'queued'))::int AS events,
             (SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'running', 'retrying'))::int AS deliveries`);
    if (rows[0].events === 0 && rows[0].deliveries === 0) return Date.now() - startedAt;
    await delay(100);
  }
  throw new Error(`the service did not finish its backlog within ${timeoutMs} ms`);
}

/** A scenario's events are told apart by their types: one type or a list. */
const typeList = (types) => (Array.isArray(types) ? types : [types]);

/**
 * Waits until no event of `types` (one type or a list) is left unfinished, polling the (small)
 * backlog rather than counting every event of the types, so the polling itself costs Postgres next
 * to nothing. The finishing moment is then read from the rows (the latest processed_at), not from
 * the poll.
 */
export async function waitUntilProcessed(db, types, expected, timeoutMs, leftUnfinished = 0) {
  const type = typeList(types);
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS unfinished FROM webhook_events WHERE status IN ('received', 'queued') AND type = ANY($1::text[])`,
      [type],
    );
    last = rows[0].unfinished;
    if (last <= leftUnfinished) {
      const {
        rows: [done],
      } = await db.query(
        `SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed,
                count(*) FILTER (WHERE status = 'failed')::int AS failed,
                count(*)::int AS events, max(processed_at) AS last_processed_at
         FROM webhook_events WHERE type = ANY($1::text[])`,
        [type],
      );
      if (done.events >= expected) return { at: done.last_processed_at.getTime(), ...done };
    }
    await delay(250);
  }
  throw new Error(`${last} ${type.join('/')} events were still unfinished after ${timeoutMs} ms`);
}

/** The database's clock, to measure against timestamps the database wrote. */
export async function databaseNow(db) {
  const { rows } = await db.query('SELECT clock_timestamp() AS now');
  return rows[0].now.getTime();
}

/** Received → processed lag of the events of `types` (one type or a list), and how their deliveries ended. */
export async function endToEndFacts(db, types) {
  const type = typeList(types);
  const {
    rows: [lag],
  } = await db.query(
    `SELECT count(*)::int AS events,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000) AS p99,
            max(extract(epoch FROM processed_at - received_at) * 1000) AS max,
            min(received_at) AS first_received, max(processed_at) AS last_processed
     FROM webhook_events WHERE type = ANY($1::text[])`,
    [type],
  );
  const {
    rows: [deliveries],
  } = await db.query(
    `SELECT count(*)::int AS deliveries,
            count(*) FILTER (WHERE d.status = 'succeeded' AND d.attempts = 1)::int AS succeeded_first_attempt,
            count(*) FILTER (WHERE d.status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE d.status = 'dead')::int AS dead,
            count(DISTINCT d.event_id)::int AS events_with_delivery,
            (SELECT count(*) FROM webhook_delivery_attempts a JOIN webhook_deliveries d2 ON d2.id = a.delivery_id
               JOIN webhook_events e2 ON e2.id = d2.event_id WHERE e2.type = ANY($1::text[]))::int AS attempts
     FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.type = ANY($1::text[])`,
    [type],
  );
  return {
    events: lag.events,
    lagMs: { p50: round(lag.p50), p99: round(lag.p99), max: round(lag.max) },
    firstReceived: lag.first_received,
    lastProcessed: lag.last_processed,
    ...deliveries,
  };
}

/**
 * The table against the acknowledgement ledger: every acknowledged id stored under the id it was
 * answered with, and nothing stored that was never acknowledged.
 */
export async function checkAcknowledgedIds(db, ledger, source = 'default') {
  const { rows } = await db.query('SELECT id, external_id FROM webhook_events WHERE source = $1', [source]);
  const stored = new Map(rows.map((row) => [row.external_id, row.id]));
  let missing = 0;
  let wrongId = 0;
  for (const [externalId, inboxId] of ledger.inboxIdByExternalId) {
    const id = stored.get(externalId);
    if (id === undefined) missing++;
    else if (id !== inboxId) wrongId++;
  }
  let neverAcknowledged = 0;
  for (const externalId of stored.keys()) if (!ledger.inboxIdByExternalId.has(externalId)) neverAcknowledged++;
  const exact = missing === 0 && wrongId === 0 && neverAcknowledged === 0 && ledger.inconsistentIds === 0;
  return {
    acknowledgedIds: ledger.inboxIdByExternalId.size,
    rowsInTable: stored.size,
    acknowledgedButMissing: missing,
    storedUnderAnotherId: wrongId,
    storedButNeverAcknowledged: neverAcknowledged,
    duplicateAnswersWithAnotherId: ledger.inconsistentIds,
    idsAnsweredAsNewTwice: ledger.repeatedFirstAnswers(),
    exact: exact && ledger.repeatedFirstAnswers() === 0,
  };
}

/**
 * Fills the table up to `totalRows` with one INSERT … SELECT generate_series: a month of history
 * in several types and statuses, each row carrying a realistic payload (one constant envelope with
 * its own id merged in, so Postgres parses the JSON once, not per row).
 */
export async function seedHistory(db, totalRows, payloadJson) {
  const {
    rows: [{ count }],
  } = await db.query('SELECT count(*)::int AS count FROM webhook_events');
  const toAdd = Math.max(0, totalRows - count);
  if (toAdd === 0) return { added: 0, ms: 0 };
  const startedAt = Date.now();
  await db.query(
    `INSERT INTO webhook_events (source, external_id, type, payload, headers, status, received_at, processed_at)
     SELECT 'seed', 'seed_' || g,
            (ARRAY['invoice.paid', 'invoice.payment_failed', 'customer.subscription.updated', 'subscription_user_create',
                   'subscription_event_refund', 'subscription_manual_chargeback', 'charge.succeeded', 'payout.paid'])[1 + g % 8],
            $2::jsonb || jsonb_build_object('id', 'seed_' || g),
            '{"user-agent": "provider-webhooks/2.3"}'::jsonb,
            CASE WHEN g % 97 = 0 THEN 'failed' WHEN g % 13 = 0 THEN 'ignored' ELSE 'processed' END,
            t, t + interval '40 milliseconds'
     FROM generate_series(1, $1::int) AS g,
          LATERAL (SELECT now() - interval '1 hour' - g * (interval '30 days' / $1::int)) AS r(t)`,
    [toAdd, payloadJson],
  );
  await db.query('ANALYZE webhook_events');
  return { added: toAdd, ms: Date.now() - startedAt };
}

const round = (value) => (value === null || value === undefined ? null : Math.round(Number(value) * 10) / 10);
