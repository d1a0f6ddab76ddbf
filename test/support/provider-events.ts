/** Realistic envelopes for the example feature, as the provider sends them. */
export function subscriptionCreated(subscriptionId: string, overrides: Record<string, unknown> = {}) {
  return {
    id: `evt_create_${subscriptionId}`,
    type: 'subscription_user_create',
    created_at: '2026-11-30T09:00:00Z',
    data: {
      subscription_id: subscriptionId,
      user_id: `usr_${subscriptionId}`,
      email: 'ada@example.com',
      plan_id: 'plan_pro_monthly',
      plan_name: 'Pro',
      amount: 2900,
      currency: 'EUR',
      interval: 'month',
      status: 'active',
      current_period_start: '2026-11-30T09:00:00Z',
      current_period_end: '2026-12-30T09:00:00Z',
      trial: false, // a field the DTO does not know: providers add fields
      ...overrides,
    },
  };
}

export function subscriptionRefund(subscriptionId: string, refundId: string, amount: number) {
  return {
    id: `evt_refund_${refundId}`,
    type: 'subscription_event_refund',
    created_at: '2026-11-30T10:00:00Z',
    data: {
      subscription_id: subscriptionId,
      user_id: `usr_${subscriptionId}`,
      refund_id: refundId,
      payment_id: `pay_${refundId}`,
      amount,
      currency: 'EUR',
      reason: 'requested_by_customer',
      refunded_at: '2026-11-30T10:00:00Z',
    },
  };
}

export function subscriptionChargeback(subscriptionId: string, chargebackId: string, amount: number) {
  return {
    id: `evt_chargeback_${chargebackId}`,
    type: 'subscription_manual_chargeback',
    created_at: '2026-11-30T11:00:00Z',
    data: {
      subscription_id: subscriptionId,
      user_id: `usr_${subscriptionId}`,
      chargeback_id: chargebackId,
      payment_id: `pay_${chargebackId}`,
      amount,
      currency: 'EUR',
      reason: 'fraudulent',
      reason_code: '10.4',
      disputed_at: '2026-11-30T11:00:00Z',
    },
  };
}
