import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { INBOX_BULL_CONFIG } from '../inbox/inbox-bull.config.js';
import { DeliveryAttempt } from '../inbox/entities/delivery-attempt.entity.js';
import { DeliveryLeases } from './delivery/delivery-leases.js';
import { EventTypePolicy } from './event-types/event-type-policy.js';
import { HandlerDeliveryProcessor } from './delivery/handler-delivery.processor.js';
import { DISPATCH_QUEUE, InboxQueues } from '../inbox/inbox-queues.js';
import { InboxWorkers } from './delivery/inbox-workers.js';
import { OutboxRelay } from './relay/outbox-relay.js';
import { PostgresAvailability } from './delivery/postgres-availability.js';
import { QueueErrorLog } from './delivery/queue-error-log.js';
import { WebhookDelivery } from '../inbox/entities/webhook-delivery.entity.js';
import { WebhookDispatchProcessor } from './dispatch/webhook-dispatch.processor.js';
import { WebhookHandlerRegistry } from './discovery/webhook-handler.registry.js';

/** Handler discovery, the queues, the workers that run handlers, and the relay that heals the queue. */
@Module({
  imports: [
    DiscoveryModule,
    TypeOrmModule.forFeature([WebhookDelivery, DeliveryAttempt]),
    BullModule.registerQueue({ name: DISPATCH_QUEUE, configKey: INBOX_BULL_CONFIG }),
  ],
  providers: [
    WebhookHandlerRegistry,
    EventTypePolicy,
    InboxQueues,
    WebhookDispatchProcessor,
    HandlerDeliveryProcessor,
    InboxWorkers,
    OutboxRelay,
    DeliveryLeases,
    PostgresAvailability,
    QueueErrorLog,
  ],
  exports: [WebhookHandlerRegistry, EventTypePolicy, InboxQueues, InboxWorkers, OutboxRelay, PostgresAvailability, TypeOrmModule],
})
export class HandlersModule {}
