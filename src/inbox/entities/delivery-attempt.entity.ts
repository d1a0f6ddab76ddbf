import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

export const ATTEMPT_OUTCOMES = ['succeeded', 'failed', 'timed_out', 'invalid'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** The history of a delivery: one row per time its handler ran. */
@Entity({ name: 'webhook_delivery_attempts' })
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'uuid' })
  deliveryId: string;

  @ManyToOne('WebhookDeliveryEntity', (delivery: WebhookDeliveryEntity) => delivery.attemptLog, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id' })
  delivery?: Relation<WebhookDeliveryEntity>;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'text' })
  outcome: AttemptOutcome;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz' })
  finishedAt: Date;

  @Column({ type: 'int' })
  durationMs: number;

  @Column({ type: 'text', nullable: true })
  errorMessage: string | null;

  /** The first lines of the stack: enough to find the place, small enough to keep. */
  @Column({ type: 'text', nullable: true })
  errorStack: string | null;

  /** The result came after another run had taken the delivery over: kept, but not the delivery's outcome. */
  @Column({ type: 'boolean', default: false })
  takenOver: boolean;
}
