import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'subscription_chargebacks' })
export class Chargeback {
  @PrimaryColumn({ type: 'text' }) chargebackId: string;
  @Column({ type: 'text' }) subscriptionId: string;
  @Column({ type: 'text' }) userId: string;
  @Column({ type: 'text' }) paymentId: string;
  @Column({ type: 'bigint' }) amount: string;
  @Column({ type: 'text' }) currency: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ type: 'text' }) reasonCode: string;
  @Column({ type: 'timestamptz' }) disputedAt: Date;
  @Column({ type: 'uuid' }) eventId: string;
}
