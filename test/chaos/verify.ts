import type pg from 'pg';
import { countEvents } from '../support/inbox-rows.js';
import type { Plan } from './plan.js';
import type { Provider } from './provider.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const one = async (db: pg.Client, sql: string, params: unknown[] = []) =>
  Number((await db.query(sql, params)).rows[0].n);

/** Everything the issue asks of the end state, each as a check that can fail. */
export async function verify(db: pg.Client, plan: Plan, provider: Provider): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const acked = [...provider.acked.entries()];
  const ackedIds = acked.map(([external]) => external);

  // 1. No loss after a 2xx.
  const { rows: stored } = await db.query<{ external_id: string; id: string; status: string }>(
    `SELECT external_id, id, status FROM webhook_events WHERE external_id = ANY($1::text[])`,
    [ackedIds],
  );
  const storedBy = new Map(stored.map((row) => [row.external_id, row]));
  const missing = acked.filter(([external]) => !storedBy.has(external));
  const wrongId = acked.filter(([external, id]) => storedBy.has(external) && storedBy.get(external)!.id !== id);
  check(
    'every 2xx-acknowledged event is in Postgres',
    missing.length === 0,
    `${acked.length} acknowledged, ${missing.length} missing${missing.length ? ` (e.g. ${missing[0][0]})` : ''}`,
  );
  check(
    'each event acknowledged under one inbox id',
    wrongId.length === 0 && provider.conflicting.length === 0,
    `${wrongId.length} with another stored id, ${provider.conflicting.length} acknowledged with two ids`,
  );
  check(
    'the provider got a 2xx for every event in the end',
    provider.gaveUp.length === 0 && acked.length === plan.events.length,
    `${acked.length}/${plan.events.length} acknowledged, ${provider.gaveUp.length} given up`,
  );

  // 2. Every event reached its final state, and the right one.
  const unfinished = await countEvents(db, { status: ['received', 'queued'] });
  const total = await countEvents(db);
  check(
    'every stored event reached a final state',
    unfinished === 0,
    `${total} stored, ${unfinished} still received/queued`,
  );
  const wrongStatus = plan.events.filter((event) => {
    const row = storedBy.get(event.envelope.id);
    return row && row.status !== event.expected;
  });
  const byExpected = (status: string) => plan.events.filter((event) => event.expected === status).length;
  check(
    'final states as expected (processed / failed poison / ignored)',
    wrongStatus.length === 0,
    `${byExpected('processed')} processed, ${byExpected('failed')} failed, ${byExpected('ignored')} ignored expected; ` +
      `${wrongStatus.length} differ${wrongStatus.length ? ` (e.g. ${wrongStatus[0].envelope.id}: ${storedBy.get(wrongStatus[0].envelope.id)?.status})` : ''}`,
  );

  // 3. Exactly once.
  const twice = await one(
    db,
    `SELECT count(*) AS n FROM (SELECT delivery_id FROM webhook_delivery_attempts WHERE outcome = 'succeeded'
       GROUP BY delivery_id HAVING count(*) > 1) t`,
  );
  check('no (event, handler) pair succeeded twice', twice === 0, `${twice} deliveries with two successful attempts`);
  const effects = await db.query<{ event_id: string; n: string }>(
    `SELECT event_id, count(*) AS n FROM effect_log GROUP BY event_id`,
  );
  const doubled = effects.rows.filter((row) => Number(row.n) !== 1);
  const validEvents = plan.events.filter((event) => event.expected === 'processed').length;
  check(
    'one committed handler effect per event (effect_log trigger)',
    doubled.length === 0 && effects.rows.length === validEvents,
    `${effects.rows.length}/${validEvents} events with an effect, ${doubled.length} with more than one`,
  );

  // 4. The example tables: one row per event, totals as sent.
  const subs = await one(
    db,
    `SELECT count(*) AS n FROM subscriptions s JOIN webhook_events e ON e.id = s.created_by_event`,
  );
  const refunds = await one(
    db,
    `SELECT count(*) AS n FROM subscription_refunds r JOIN webhook_events e ON e.id = r.event_id`,
  );
  const chargebacks = await one(
    db,
    `SELECT count(*) AS n FROM subscription_chargebacks c JOIN webhook_events e ON e.id = c.event_id`,
  );
  const { rows: totals } = await db.query<{
    subscription_id: string;
    refunded_amount: string;
    charged_back_amount: string;
  }>(`SELECT subscription_id, refunded_amount, charged_back_amount FROM subscriptions`);
  const wrongTotals = totals.filter((row) => {
    const expected = plan.totals.get(row.subscription_id);
    return (
      !expected ||
      Number(row.refunded_amount) !== expected.refunded ||
      Number(row.charged_back_amount) !== expected.chargedBack
    );
  });
  const n = plan.totals.size;
  check(
    'example tables: one row per event, totals as sent',
    subs === n && refunds === n && chargebacks === n && totals.length === n && wrongTotals.length === 0,
    `subscriptions ${subs}/${n}, refunds ${refunds}/${n}, chargebacks ${chargebacks}/${n}, ${wrongTotals.length} wrong totals`,
  );

  checks.push(...(await verifyOrder(db, plan)));
  return checks;
}

/**
 * 5. Order per key, for the ordered handler of the example (SubscriptionTimelineHandler, by
 * subscription_id). Every recorded run (attempt) carries its key and its event's inbox position
 * (seq, commit order): per key, the runs that succeeded started in inbox order. And the effect: each
 * subscription's timeline lines, numbered by the handler itself, follow inbox order without a gap.
 */
async function verifyOrder(db: pg.Client, plan: Plan): Promise<Check[]> {
  // Poison events are refused by their type's DTO before any handler of the type runs, the
  // timeline's included: they get no line.
  const timelineEvents = plan.events.filter(
    (event) => event.envelope.type.startsWith('subscription_') && event.expected !== 'failed',
  ).length;
  const { rows: runs } = await db.query<{ runs: number; keys: number; out_of_order: number; example: string | null }>(`
    WITH runs AS (
      SELECT d.order_key, d.order_position, a.outcome,
             lag(d.order_position) OVER (PARTITION BY d.order_key ORDER BY a.started_at, a.id) AS previous
      FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
      WHERE d.handler = 'SubscriptionTimelineHandler' AND a.outcome = 'succeeded' AND NOT a.taken_over
    )
    SELECT count(*)::int AS runs, count(DISTINCT order_key)::int AS keys,
           count(*) FILTER (WHERE previous > order_position)::int AS out_of_order,
           min(order_key) FILTER (WHERE previous > order_position) AS example
    FROM runs`);
  const { rows: all } = await db.query<{ runs: number }>(`
    SELECT count(*)::int AS runs FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
    WHERE d.handler = 'SubscriptionTimelineHandler'`);
  const { rows: lines } = await db.query<{ lines: number; wrong: number; example: string | null }>(`
    WITH lines AS (
      SELECT t.subscription_id, t.entry_no, e.seq,
             lag(e.seq) OVER (PARTITION BY t.subscription_id ORDER BY t.entry_no) AS previous_seq,
             lag(t.entry_no, 1, 0) OVER (PARTITION BY t.subscription_id ORDER BY t.entry_no) AS previous_no
      FROM subscription_timeline t JOIN webhook_events e ON e.id = t.event_id
    )
    SELECT count(*)::int AS lines,
           count(*) FILTER (WHERE previous_seq > seq OR entry_no <> previous_no + 1)::int AS wrong,
           min(subscription_id) FILTER (WHERE previous_seq > seq OR entry_no <> previous_no + 1) AS example
    FROM lines`);
  const r = runs[0];
  const l = lines[0];
  return [
    {
      // A run whose worker died after its commit but before its attempt was recorded leaves no
      // attempt row (its effect is checked by the timeline below): recorded runs are at most one per event.
      name: 'ordered handler: per key, successful runs in inbox order',
      ok: r.out_of_order === 0 && r.runs > 0 && r.runs <= timelineEvents,
      detail:
        `${r.runs} successful runs recorded (of ${all[0].runs} runs) over ${r.keys} keys for ${timelineEvents} events; ` +
        `${r.out_of_order} started before an earlier event of their key${r.example ? ` (e.g. ${r.example})` : ''}`,
    },
    {
      name: 'ordered handler: timeline lines numbered in inbox order, no gap',
      ok: l.wrong === 0 && l.lines === timelineEvents,
      detail: `${l.lines}/${timelineEvents} lines, ${l.wrong} out of order or after a gap${l.example ? ` (e.g. ${l.example})` : ''}`,
    },
  ];
}
