import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxModule } from '../inbox/inbox.module.js';
import { InboxTestWebhookHandler } from './builtin/inbox-test-webhook.handler.js';
import { SourceData } from './delivery/source-data.js';
import { DeliveryLeases } from './delivery/delivery-leases.js';
import { HandlerDeliveryProcessor } from './delivery/handler-delivery.processor.js';
import { InboxWorkers } from './delivery/inbox-workers.js';
import { PostgresAvailability } from './delivery/postgres-availability.js';
import { QueueErrorLog } from './delivery/queue-error-log.js';
import { WebhookHandlerRegistry } from './discovery/webhook-handler.registry.js';
import { WebhookDispatchProcessor } from './dispatch/webhook-dispatch.processor.js';
import { EventTypePolicy } from './event-types/event-type-policy.js';
import { SubscriptionVersion } from './event-types/subscription-version.entity.js';
import { OutboxRelay } from './relay/outbox-relay.js';

/** Handler discovery, dispatch, the workers that run handlers, and the relay that heals the queue. */
@Module({
  imports: [DiscoveryModule, InboxModule, TypeOrmModule.forFeature([SubscriptionVersion])],
  providers: [
    WebhookHandlerRegistry,
    EventTypePolicy,
    WebhookDispatchProcessor,
    HandlerDeliveryProcessor,
    InboxWorkers,
    OutboxRelay,
    DeliveryLeases,
    QueueErrorLog,
    PostgresAvailability,
    InboxTestWebhookHandler,
    SourceData,
  ],
  // For admin and ops: what is registered, the allow-list, the workers' state and the relay.
  exports: [
    InboxModule,
    TypeOrmModule,
    WebhookHandlerRegistry,
    EventTypePolicy,
    InboxWorkers,
    OutboxRelay,
    PostgresAvailability,
    SourceData,
  ],
})
export class ProcessingModule {}
