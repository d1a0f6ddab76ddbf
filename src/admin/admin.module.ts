import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProcessingModule } from '../processing/processing.module.js';
import { WebhookEventEntity } from '../inbox/entities/webhook-event.entity.js';
import { AdminEventsController } from './events/admin-events.controller.js';
import { AdminEventsService } from './events/admin-events.service.js';
import { AdminHandlersController } from './handlers/admin-handlers.controller.js';
import { AdminHandlersService } from './handlers/admin-handlers.service.js';
import { QueueDashboardModule } from './queues/queue-dashboard.module.js';
import { AdminOrderingController } from './ordering/admin-ordering.controller.js';
import { AdminOrderingService } from './ordering/admin-ordering.service.js';
import { AdminRejectionsController } from './rejections/admin-rejections.controller.js';
import { AdminRejectionsService } from './rejections/admin-rejections.service.js';
import { EventReplayService } from './replay/event-replay.service.js';
import { AdminStatsController } from './stats/admin-stats.controller.js';
import { AdminStatsService } from './stats/admin-stats.service.js';
import { AdminSubscriptionsController } from './subscriptions/admin-subscriptions.controller.js';
import { EventTypeSubscriptionsService } from './subscriptions/event-type-subscriptions.service.js';
import { SubscriptionVersion } from '../processing/event-types/subscription-version.entity.js';
import { TestWebhookController } from './test-webhook/test-webhook.controller.js';
import { TestWebhookService } from './test-webhook/test-webhook.service.js';

/**
 * The operators' API under /admin (documented at /docs, protected by the admin authentication
 * hook): events, replay, the quarantine, ordered keys, handlers and types, subscriptions, stats, the test
 * webhook, and the Bull Board dashboard at /admin/queues.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEventEntity, SubscriptionVersion]),
    ProcessingModule,
    QueueDashboardModule,
  ],
  controllers: [
    AdminEventsController,
    AdminRejectionsController,
    AdminOrderingController,
    AdminHandlersController,
    AdminSubscriptionsController,
    AdminStatsController,
    TestWebhookController,
  ],
  providers: [
    AdminEventsService,
    AdminRejectionsService,
    EventReplayService,
    AdminOrderingService,
    AdminHandlersService,
    EventTypeSubscriptionsService,
    AdminStatsService,
    TestWebhookService,
  ],
})
export class AdminModule {}
