import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import type { EventStatus } from '../lifecycle.js';
// Type-only: the relation names its target by entity name, so the aggregate's files import each
// other only for types (no runtime cycle).
import type { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

/** One row per distinct event the provider sent; the inbox's source of truth. */
@Entity({ name: 'webhook_events' })
export class WebhookEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Which sender this came from; `default` while there is one provider. */
  @Column({ type: 'text', default: 'default' })
  source: string;

  /** The provider's identity for de-duplication: envelope id, else webhook-id header, else body hash. */
  @Column({ type: 'text' })
  externalId: string;

  @Column({ type: 'text' })
  type: string;

  /** The whole envelope as received (`data`, `id`, `created_at` and any extra fields). */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** The request headers worth keeping (ids, timestamps, user agent, sender address). */
  @Column({ type: 'jsonb', default: {} })
  headers: Record<string, string>;

  @Column({ type: 'text', default: 'received' })
  status: EventStatus;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  @OneToMany('WebhookDeliveryEntity', (delivery: WebhookDeliveryEntity) => delivery.event)
  deliveries?: Relation<WebhookDeliveryEntity[]>;
}
