import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SubscriptionMode } from './event-type-policy.js';

/** One version of the list of processed event types; the newest is in force, the rest are the audit trail. */
@Entity({ name: 'event_type_subscription_versions' })
export class SubscriptionVersion {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  version: string;

  @Column({ type: 'text' })
  mode: SubscriptionMode;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  types: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  added: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  removed: string[];

  /** Who made the change: the operator's name if given, the admin key's fingerprint, and the address. */
  @Column({ type: 'text' })
  changedBy: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  changedAt: Date;
}
