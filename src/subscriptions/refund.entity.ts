import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'subscription_refunds' })
export class Refund {
  @PrimaryColumn({ type: 'text' }) refundId: string;
  @Column({ type: 'text' }) subscriptionId: string;
  @Column({ type: 'text' }) userId: string;
  @Column({ type: 'text' }) paymentId: string;
  @Column({ type: 'bigint' }) amount: string;
  @Column({ type: 'text' }) currency: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ type: 'timestamptz' }) refundedAt: Date;
  @Column({ type: 'uuid' }) eventId: string;
}
