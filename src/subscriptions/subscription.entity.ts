import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A subscription as the provider created it, with the totals of its refunds and chargebacks. */
@Entity({ name: 'subscriptions' })
export class Subscription {
  @PrimaryColumn({ type: 'text' }) subscriptionId: string;
  @Column({ type: 'text' }) userId: string;
  @Column({ type: 'text' }) email: string;
  @Column({ type: 'text' }) planId: string;
  @Column({ type: 'text' }) planName: string;
  /** Minor units (cents). bigint comes back from pg as a string. */
  @Column({ type: 'bigint' }) amount: string;
  @Column({ type: 'text' }) currency: string;
  @Column({ type: 'text' }) interval: string;
  @Column({ type: 'text' }) status: string;
  @Column({ type: 'timestamptz' }) currentPeriodStart: Date;
  @Column({ type: 'timestamptz' }) currentPeriodEnd: Date;
  /** Recomputed from the refunds table, so the order in which events arrive does not matter. */
  @Column({ type: 'bigint', default: 0 }) refundedAmount: string;
  @Column({ type: 'bigint', default: 0 }) chargedBackAmount: string;
  @Column({ type: 'uuid' }) createdByEvent: string;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
