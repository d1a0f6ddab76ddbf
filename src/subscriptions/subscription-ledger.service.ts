import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Subscription } from './subscription.entity.js';

/**
 * Keeps a subscription's totals right whatever order its events arrive in: every handler writes
 * its own fact (the subscription, a refund, a chargeback) and then recomputes the totals from the
 * facts, holding a per-subscription lock so that two events of one subscription never interleave.
 */
@Injectable()
export class SubscriptionLedger {
  /** Serialises the transactions that touch one subscription (released at commit or rollback). */
  async lock(manager: EntityManager, subscriptionId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('subscription:' || $1, 0))`, [subscriptionId]);
  }

  async recomputeTotals(manager: EntityManager, subscriptionId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(Subscription)
      .set({
        refundedAmount: () =>
          `(SELECT coalesce(sum(amount), 0) FROM subscription_refunds WHERE subscription_id = :subscriptionId)`,
        chargedBackAmount: () =>
          `(SELECT coalesce(sum(amount), 0) FROM subscription_chargebacks WHERE subscription_id = :subscriptionId)`,
        updatedAt: () => 'now()',
      })
      .where('subscription_id = :subscriptionId', { subscriptionId })
      .execute();
  }
}
