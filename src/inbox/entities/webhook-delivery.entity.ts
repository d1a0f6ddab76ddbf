import { Column, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import type { DeliveryStatus } from '../lifecycle.js';
import type { DeliveryAttemptEntity } from './delivery-attempt.entity.js';
import type { WebhookEventEntity } from './webhook-event.entity.js';

/** One row per (event, handler): that handler's own progress on that event. */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  eventId: string;

  @ManyToOne('WebhookEventEntity', (event: WebhookEventEntity) => event.deliveries, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: Relation<WebhookEventEntity>;

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

  /** The run that holds it while `running` (one token per run of a job; a re-run gets a new one). */
  @Column({ type: 'text', nullable: true })
  claimedBy: string | null;

  /** The queued job that carries it (the relay looks the job up before queuing it again). */
  @Column({ type: 'text', nullable: true })
  jobId: string | null;

  /** Duration of the last attempt. */
  @Column({ type: 'int', nullable: true })
  durationMs: number | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @OneToMany('DeliveryAttemptEntity', (attempt: DeliveryAttemptEntity) => attempt.delivery)
  attemptLog?: Relation<DeliveryAttemptEntity[]>;
}
