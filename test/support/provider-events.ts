import * as envelopes from '../chaos/infra/subscription-events.js';

// Realistic envelopes for the example feature, built on the same builders as the chaos suite;
// event ids are derived from the subscription, refund or chargeback id.

export function subscriptionCreated(subscriptionId: string, overrides: Record<string, unknown> = {}) {
  const event = envelopes.subscriptionCreated(`evt_create_${subscriptionId}`, subscriptionId, 2900);
  // `trial` is a field the DTO does not know: providers add fields, and they must be accepted.
  return { ...event, data: { ...event.data, email: 'ada@example.com', trial: false, ...overrides } };
}

export function subscriptionRefund(subscriptionId: string, refundId: string, amount: number) {
  return envelopes.subscriptionRefund(`evt_refund_${refundId}`, subscriptionId, refundId, amount);
}

export function subscriptionChargeback(subscriptionId: string, chargebackId: string, amount: number) {
  return envelopes.subscriptionChargeback(`evt_chargeback_${chargebackId}`, subscriptionId, chargebackId, amount);
}
