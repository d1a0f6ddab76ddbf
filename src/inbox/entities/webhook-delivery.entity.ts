import { Column, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import { WebhookEvent } from './webhook-event.entity.js';
import { DeliveryAttempt } from './delivery-attempt.entity.js';

export const DELIVERY_STATUSES = ['pending', 'running', 'succeeded', 'retrying', 'dead'] as const;
/** pending → running → succeeded | retrying (→ running …) | dead */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One row per (event, handler): that handler's own progress on that event. */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  eventId: string;

  @ManyToOne(() => WebhookEvent, (event) => event.deliveries, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: Relation<WebhookEvent>;

  /** The handler's name (its class name unless the decorator names it). */
  @Column({ type: 'text' })
  handler: string;

  @Column({ type: 'text', default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'int' })
  maxAttempts: number;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  firstAttemptAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null;

  /** When a `retrying` delivery is due. */
  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** A `running` delivery whose lease has passed is presumed abandoned (crashed worker) and re-run. */
  @Column({ type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  /** The job running it (BullMQ job id), so that the same job can take it back after a crash. */
  @Column({ type: 'text', nullable: true })
  claimedBy: string | null;

  /** Duration of the last attempt. */
  @Column({ type: 'int', nullable: true })
  durationMs: number | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @OneToMany(() => DeliveryAttempt, (attempt) => attempt.delivery)
  attemptLog?: Relation<DeliveryAttempt[]>;
}
