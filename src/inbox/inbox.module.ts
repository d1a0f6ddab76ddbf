import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import { ingressPgPoolProvider, IngressPgPoolCloser, pgPoolProvider, PG_POOL } from '../database/pg-pool.js';
import { DeliveryAttemptEntity } from './entities/delivery-attempt.entity.js';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity.js';
import { WebhookEventEntity } from './entities/webhook-event.entity.js';
import { WebhookRejectionEntity } from './entities/webhook-rejection.entity.js';
import { DISPATCH_QUEUE, InboxQueues } from './inbox-queues.js';
import { DeliveryStore } from './store/delivery.store.js';
import { EventStore } from './store/event.store.js';
import { RejectionStore } from './store/rejection.store.js';
import {
  INBOX_BULL_CONFIG,
  INBOX_REDIS,
  WEBHOOK_INBOX_OPTIONS,
  type WebhookInboxOptions,
} from './webhook-inbox.options.js';

/**
 * The bottom of the inbox: its entities, the stores (all SQL on the inbox tables and the
 * quarantine), the pg pool accessor and the queue producer. Needs WEBHOOK_INBOX_OPTIONS and INBOX_REDIS, which
 * WebhookInboxModule provides globally (inboxGlobalProviders).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      WebhookEventEntity,
      WebhookDeliveryEntity,
      DeliveryAttemptEntity,
      WebhookRejectionEntity,
    ]),
    BullModule.forRootAsync(INBOX_BULL_CONFIG, {
      useFactory: (redis: Redis, options: WebhookInboxOptions) => ({ connection: redis, prefix: options.queuePrefix }),
      inject: [INBOX_REDIS, WEBHOOK_INBOX_OPTIONS],
    }),
    BullModule.registerQueue({ name: DISPATCH_QUEUE, configKey: INBOX_BULL_CONFIG }),
  ],
  providers: [
    pgPoolProvider,
    ingressPgPoolProvider,
    IngressPgPoolCloser,
    EventStore,
    DeliveryStore,
    RejectionStore,
    InboxQueues,
  ],
  exports: [TypeOrmModule, PG_POOL, EventStore, DeliveryStore, RejectionStore, InboxQueues],
})
export class InboxModule {}
