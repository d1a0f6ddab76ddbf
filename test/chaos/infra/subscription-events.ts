/**
 * Valid envelopes for the example handlers (src/subscriptions), for tests and the chaos suite.
 * Amounts are in minor units; every id is derived from the caller's, so a run never collides.
 */
export interface Envelope {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

const now = () => new Date().toISOString();

export function subscriptionCreated(id: string, subscriptionId: string, amount = 1999): Envelope {
  return {
    id,
    type: 'subscription_user_create',
    created_at: now(),
    data: {
      subscription_id: subscriptionId,
      user_id: `user_${subscriptionId}`,
      email: `${subscriptionId}@example.com`,
      plan_id: 'plan_pro',
      plan_name: 'Pro',
      amount,
      currency: 'EUR',
      interval: 'month',
      status: 'active',
      current_period_start: '2026-11-01T00:00:00Z',
      current_period_end: '2026-12-01T00:00:00Z',
    },
  };
}

export function subscriptionRefund(id: string, subscriptionId: string, refundId: string, amount: number): Envelope {
  return {
    id,
    type: 'subscription_event_refund',
    created_at: now(),
    data: {
      subscription_id: subscriptionId,
      user_id: `user_${subscriptionId}`,
      refund_id: refundId,
      payment_id: `pay_${refundId}`,
      amount,
      currency: 'EUR',
      reason: 'requested_by_customer',
      refunded_at: '2026-11-15T12:00:00Z',
    },
  };
}

export function subscriptionChargeback(
  id: string,
  subscriptionId: string,
  chargebackId: string,
  amount: number,
): Envelope {
  return {
    id,
    type: 'subscription_manual_chargeback',
    created_at: now(),
    data: {
      subscription_id: subscriptionId,
      user_id: `user_${subscriptionId}`,
      chargeback_id: chargebackId,
      payment_id: `pay_${chargebackId}`,
      amount,
      currency: 'EUR',
      reason: 'fraudulent',
      reason_code: '10.4',
      disputed_at: '2026-11-20T08:00:00Z',
    },
  };
}
