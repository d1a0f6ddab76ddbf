import {
  envelope,
  subscriptionChargeback,
  subscriptionCreated,
  subscriptionRefund,
  type Envelope,
} from '../support/provider-events.js';

export type FinalStatus = 'processed' | 'failed' | 'ignored';

export interface PlannedEvent {
  envelope: Envelope;
  expected: FinalStatus;
}

export interface Plan {
  events: PlannedEvent[];
  /** What the provider sends, in order: every event once, some twice (duplicates). */
  sends: Envelope[];
  /** subscription id → the totals its refunds and chargebacks must add up to. */
  totals: Map<string, { refunded: number; chargedBack: number }>;
}

/** mulberry32: a small seeded generator, so that a failing run can be replayed with CHAOS_SEED. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Per subscription: a creation, a refund and a chargeback, in random order (the ledger copes with
 * any order). Plus poison events (data the handler's DTO refuses: they must end `failed` without
 * holding anything up) and events of a type no handler subscribes to (they must end `ignored`).
 */
export function buildPlan(run: string, subscriptions: number, duplicateShare: number, rnd: () => number): Plan {
  const events: PlannedEvent[] = [];
  const totals = new Map<string, { refunded: number; chargedBack: number }>();
  for (let i = 0; i < subscriptions; i++) {
    const sub = `sub_${run}_${i}`;
    const refunded = 100 + Math.floor(rnd() * 900);
    const chargedBack = 100 + Math.floor(rnd() * 900);
    totals.set(sub, { refunded, chargedBack });
    events.push({ envelope: subscriptionCreated(sub, {}, `evt_${run}_c${i}`), expected: 'processed' });
    events.push({
      envelope: subscriptionRefund(sub, `re_${run}_${i}`, refunded, `evt_${run}_r${i}`),
      expected: 'processed',
    });
    events.push({
      envelope: subscriptionChargeback(sub, `cb_${run}_${i}`, chargedBack, `evt_${run}_b${i}`),
      expected: 'processed',
    });
  }
  const extras = Math.max(10, Math.round(subscriptions * 0.03));
  for (let i = 0; i < extras; i++) {
    const poison = subscriptionRefund(`sub_${run}_poison_${i}`, `re_${run}_poison_${i}`, 100, `evt_${run}_p${i}`);
    poison.data.currency = 'euros'; // not an ISO 4217 code: the DTO refuses it, permanently
    events.push({ envelope: poison, expected: 'failed' });
    events.push({ envelope: envelope(`evt_${run}_u${i}`, 'chaos.nobody_listens', { i }), expected: 'ignored' });
  }

  const sends = shuffle(
    events.map((event) => event.envelope),
    rnd,
  );
  // Duplicates: a share of the events is sent again a little later (the provider's own retries,
  // a second delivery after a timeout on its side).
  const duplicates = Math.round(events.length * duplicateShare);
  for (let i = 0; i < duplicates; i++) {
    const original = Math.floor(rnd() * sends.length);
    const later = Math.min(sends.length, original + 1 + Math.floor(rnd() * 300));
    sends.splice(later, 0, sends[original]);
  }
  return { events, sends, totals };
}

function shuffle<T>(items: T[], rnd: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
