/**
 * The provider's envelopes, for every suite and the chaos run: valid events of the three types the
 * example handlers take (src/subscriptions), and any other type. Amounts are in minor units. Event
 * ids are derived from the subscription, refund or chargeback id unless one is given, so a run
 * never collides with itself.
 */
export interface Envelope {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

/** An envelope of any type, created now. */
export function envelope(id: string, type: string, data: Record<string, unknown>): Envelope {
  return { id, type, created_at: new Date().toISOString(), data };
}

/**
 * A new subscription; `data` overrides or adds payload fields. It carries `trial`, a field the DTO
 * does not know: providers add fields, and they must be accepted.
 */
export function subscriptionCreated(
  subscriptionId: string,
  data: Record<string, unknown> = {},
  id = `evt_create_${subscriptionId}`,
): Envelope {
  return envelope(id, 'subscription_user_create', {
    subscription_id: subscriptionId,
    user_id: `user_${subscriptionId}`,
    email: 'ada@example.com',
    plan_id: 'plan_pro',
    plan_name: 'Pro',
    amount: 2900,
    currency: 'EUR',
    interval: 'month',
    status: 'active',
    current_period_start: '2026-11-01T00:00:00Z',
    current_period_end: '2026-12-01T00:00:00Z',
    trial: false,
    ...data,
  });
}

export function subscriptionRefund(
  subscriptionId: string,
  refundId: string,
  amount: number,
  id = `evt_refund_${refundId}`,
): Envelope {
  return envelope(id, 'subscription_event_refund', {
    subscription_id: subscriptionId,
    user_id: `user_${subscriptionId}`,
    refund_id: refundId,
    payment_id: `pay_${refundId}`,
    amount,
    currency: 'EUR',
    reason: 'requested_by_customer',
    refunded_at: '2026-11-15T12:00:00Z',
  });
}

export function subscriptionChargeback(
  subscriptionId: string,
  chargebackId: string,
  amount: number,
  id = `evt_chargeback_${chargebackId}`,
): Envelope {
  return envelope(id, 'subscription_manual_chargeback', {
    subscription_id: subscriptionId,
    user_id: `user_${subscriptionId}`,
    chargeback_id: chargebackId,
    payment_id: `pay_${chargebackId}`,
    amount,
    currency: 'EUR',
    reason: 'fraudulent',
    reason_code: '10.4',
    disputed_at: '2026-11-20T08:00:00Z',
  });
}
