import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One line of a subscription's timeline (see SubscriptionTimelineHandler). */
@Entity({ name: 'subscription_timeline' })
export class TimelineEntry {
  @PrimaryColumn({ type: 'uuid' }) eventId: string;
  @Column({ type: 'text' }) subscriptionId: string;
  /** 1, 2, 3, … in the order the subscription's events were received. */
  @Column({ type: 'int' }) entryNo: number;
  @Column({ type: 'text' }) type: string;
  @Column({ type: 'bigint' }) amount: string;
  /** Refunded plus charged back, up to and including this line. */
  @Column({ type: 'bigint' }) returnedTotal: string;
  @Column({ type: 'timestamptz', nullable: true }) occurredAt: Date | null;
}
