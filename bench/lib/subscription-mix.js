// The "example mix": events for the example feature's real handlers (src/subscriptions), shaped
// like test/support/provider-events.ts. Of every five events three create a subscription, one
// refunds and one charges back a subscription created earlier in the same run (half of them one
// of the latest few, which may well still be in flight: the handlers must cope with a refund that
// is processed before its subscription). Afterwards the example tables are checked against what
// was acknowledged.
import { keyOf, SigningClock } from './envelopes.js';

export const MIX_EVENT_TYPES = [
  'subscription_user_create',
  'subscription_event_refund',
  'subscription_manual_chargeback',
];
export const MIX_TABLES = ['subscriptions', 'subscription_refunds', 'subscription_chargebacks'];

/** Kind of the n-th event (n from 1): 60 % creates, 20 % refunds, 20 % chargebacks, interleaved. */
const KIND_BY_SLOT = ['create', 'create', 'create', 'refund', 'chargeback'];
/** Half of the refunds and chargebacks pick among this many latest subscriptions, half among all. */
const RECENT = 50;
const PLAN_AMOUNT = 4900;

/** A small seeded PRNG (mulberry32): the same run id gives the same mix. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An autocannon request factory like SignedEnvelopeFactory (no re-sends), that remembers every
 * event it made: `sent`, in order, with its kind, its own id and its subscription.
 */
export class SubscriptionMixFactory {
  constructor({ secret, runId, idPrefix = 'mix' }) {
    this.key = keyOf(secret);
    this.clock = new SigningClock();
    this.runId = runId;
    this.idPrefix = `${idPrefix}_${runId}_`;
    this.subscriptionPrefix = `sub_${runId}_`;
    this.refundPrefix = `re_${runId}_`;
    this.chargebackPrefix = `cb_${runId}_`;
    this.random = random([...runId].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
    this.subscriptions = [];
    this.sent = [];
    this.counts = { create: 0, refund: 0, chargeback: 0, ofRecentSubscription: 0 };
  }

  next() {
    const n = this.sent.length + 1;
    const kind = KIND_BY_SLOT[(n - 1) % KIND_BY_SLOT.length];
    const externalId = `${this.idPrefix}${n}`;
    let record;
    let data;
    if (kind === 'create') {
      const subscriptionId = `${this.subscriptionPrefix}${this.subscriptions.length + 1}`;
      this.subscriptions.push(subscriptionId);
      record = { externalId, kind, id: subscriptionId, subscriptionId, amount: PLAN_AMOUNT };
      data = {
        subscription_id: subscriptionId,
        user_id: `user_${subscriptionId}`,
        email: `customer+${this.subscriptions.length}@example.com`,
        plan_id: 'plan_pro_monthly',
        plan_name: 'Pro (monthly)',
        amount: PLAN_AMOUNT,
        currency: 'EUR',
        interval: 'month',
        status: 'active',
        current_period_start: '2026-11-30T09:41:00Z',
        current_period_end: '2026-12-30T09:41:00Z',
        // Not in the DTO: providers add fields, and they must be accepted.
        trial: false,
        metadata: { account_ref: 'acct_000918273', campaign: 'black-friday-2026', source: 'checkout-v3' },
      };
    } else {
      const subscriptionId = this.pickSubscription();
      const seq = this.counts[kind] + 1;
      const id = `${kind === 'refund' ? this.refundPrefix : this.chargebackPrefix}${seq}`;
      const amount = kind === 'refund' ? 100 * (1 + (seq % 49)) : PLAN_AMOUNT;
      record = { externalId, kind, id, subscriptionId, amount };
      data = {
        subscription_id: subscriptionId,
        user_id: `user_${subscriptionId}`,
        payment_id: `pay_${id}`,
        amount,
        currency: 'EUR',
        ...(kind === 'refund'
          ? { refund_id: id, reason: 'requested_by_customer', refunded_at: '2026-12-05T12:00:00Z' }
          : { chargeback_id: id, reason: 'fraudulent', reason_code: '10.4', disputed_at: '2026-12-08T08:00:00Z' }),
      };
    }
    this.counts[kind]++;
    this.sent.push(record);
    const body = JSON.stringify({
      id: externalId,
      type: MIX_EVENT_TYPES[['create', 'refund', 'chargeback'].indexOf(kind)],
      created_at: '2026-11-30T09:41:27.512Z',
      api_version: '2026-10-01',
      livemode: true,
      data,
    });
    return { externalId, body, headers: this.clock.signedHeaders(this.key, externalId, body), duplicate: false };
  }

  /** A subscription created earlier in this run: half the time one of the latest RECENT, else any. */
  pickSubscription() {
    const created = this.subscriptions.length;
    if (this.random() < 0.5) {
      const recent = Math.min(RECENT, created);
      this.counts.ofRecentSubscription++;
      return this.subscriptions[created - 1 - Math.floor(this.random() * recent)];
    }
    return this.subscriptions[Math.floor(this.random() * created)];
  }
}

/**
 * The example tables against the acknowledgements: for each of subscriptions, refunds and
 * chargebacks, exactly one row per acknowledged id (none missing, none that was never
 * acknowledged), written by the event it was acknowledged as (event id = the inbox id of the 2xx),
 * for the right subscription; and each subscription's refunded and charged-back totals equal to
 * the sum of its acknowledged refunds and chargebacks, whatever order they were processed in.
 */
export async function checkSubscriptionMix(db, factory, ledger) {
  const expected = { create: new Map(), refund: new Map(), chargeback: new Map() };
  const totals = new Map();
  let notAcknowledged = 0;
  for (const record of factory.sent) {
    const inboxId = ledger.inboxIdByExternalId.get(record.externalId);
    if (inboxId === undefined) {
      notAcknowledged++;
      continue;
    }
    expected[record.kind].set(record.id, { ...record, inboxId });
    if (record.kind !== 'create') {
      const total = totals.get(record.subscriptionId) ?? { refund: 0, chargeback: 0 };
      total[record.kind] += record.amount;
      totals.set(record.subscriptionId, total);
    }
  }

  const [subscriptions, refunds, chargebacks] = await Promise.all([
    db.query(
      `SELECT subscription_id AS id, subscription_id, created_by_event::text AS event_id, amount::float8 AS amount,
              refunded_amount::float8 AS refunded, charged_back_amount::float8 AS charged_back
       FROM subscriptions WHERE starts_with(subscription_id, $1)`,
      [factory.subscriptionPrefix],
    ),
    db.query(
      `SELECT refund_id AS id, subscription_id, event_id::text AS event_id, amount::float8 AS amount
       FROM subscription_refunds WHERE starts_with(refund_id, $1)`,
      [factory.refundPrefix],
    ),
    db.query(
      `SELECT chargeback_id AS id, subscription_id, event_id::text AS event_id, amount::float8 AS amount
       FROM subscription_chargebacks WHERE starts_with(chargeback_id, $1)`,
      [factory.chargebackPrefix],
    ),
  ]);

  const compare = (table, kind, rows) => {
    const want = expected[kind];
    const seen = new Map();
    let neverAcknowledged = 0;
    let wrongEvent = 0;
    let wrongSubscription = 0;
    let wrongAmount = 0;
    for (const row of rows) {
      seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
      const record = want.get(row.id);
      if (!record) {
        neverAcknowledged++;
        continue;
      }
      if (row.event_id !== record.inboxId) wrongEvent++;
      if (row.subscription_id !== record.subscriptionId) wrongSubscription++;
      if (row.amount !== record.amount) wrongAmount++;
    }
    let missing = 0;
    for (const id of want.keys()) if (!seen.has(id)) missing++;
    let duplicates = 0;
    for (const count of seen.values()) if (count > 1) duplicates += count - 1;
    return {
      table,
      acknowledgedIds: want.size,
      rows: rows.length,
      missing,
      duplicates,
      neverAcknowledged,
      wrongEvent,
      wrongSubscription,
      wrongAmount,
      exact:
        missing === 0 &&
        duplicates === 0 &&
        neverAcknowledged === 0 &&
        wrongEvent === 0 &&
        wrongSubscription === 0 &&
        wrongAmount === 0,
    };
  };

  const tables = [
    compare('subscriptions', 'create', subscriptions.rows),
    compare('subscription_refunds', 'refund', refunds.rows),
    compare('subscription_chargebacks', 'chargeback', chargebacks.rows),
  ];
  let totalsWrong = 0;
  for (const row of subscriptions.rows) {
    const want = totals.get(row.id) ?? { refund: 0, chargeback: 0 };
    if (row.refunded !== want.refund || row.charged_back !== want.chargeback) totalsWrong++;
  }
  return {
    posted: { ...factory.counts, events: factory.sent.length },
    notAcknowledged,
    tables,
    subscriptionTotalsWrong: totalsWrong,
    exact: tables.every((t) => t.exact) && totalsWrong === 0,
  };
}
