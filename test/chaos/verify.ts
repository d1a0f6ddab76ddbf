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
  return checks;
}
