import type { SubscriptionChargebackData } from './dto/subscription-chargeback.data.js';
import type { SubscriptionCreatedData } from './dto/subscription-created.data.js';
import type { SubscriptionRefundData } from './dto/subscription-refund.data.js';

/** `data` as the provider sends it, for the example feature's specs: valid unless a test overrides a field. */
export const subscriptionFixtures = {
  created: (overrides: Partial<SubscriptionCreatedData> = {}): SubscriptionCreatedData => ({
    subscription_id: 'sub_1',
    user_id: 'usr_1',
    email: 'ada@example.com',
    plan_id: 'plan_pro',
    plan_name: 'Pro',
    amount: 4900,
    currency: 'EUR',
    interval: 'month',
    status: 'active',
    current_period_start: '2026-12-01T00:00:00.000Z',
    current_period_end: '2027-01-01T00:00:00.000Z',
    ...overrides,
  }),
  refund: (overrides: Partial<SubscriptionRefundData> = {}): SubscriptionRefundData => ({
    subscription_id: 'sub_1',
    user_id: 'usr_1',
    refund_id: 'rf_1',
    payment_id: 'pay_1',
    amount: 1000,
    currency: 'EUR',
    reason: 'requested_by_customer',
    refunded_at: '2026-12-02T10:00:00.000Z',
    ...overrides,
  }),
  chargeback: (overrides: Partial<SubscriptionChargebackData> = {}): SubscriptionChargebackData => ({
    subscription_id: 'sub_1',
    user_id: 'usr_1',
    chargeback_id: 'cb_1',
    payment_id: 'pay_1',
    amount: 4900,
    currency: 'EUR',
    reason: 'fraudulent',
    reason_code: '10.4',
    disputed_at: '2026-12-02T11:00:00.000Z',
    ...overrides,
  }),
};
