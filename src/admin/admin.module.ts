import { Module } from '@nestjs/common';
import { ADMIN_MODULE_OPTIONS, ADMIN_OPTIONS, ConfigurableAdminModule, resolveAdminOptions } from './admin.options.js';
import { AdminAuditEntryEntity } from './audit/admin-audit-entry.entity.js';
import { AdminAuditController } from './audit/admin-audit.controller.js';
import { AdminAuditService } from './audit/admin-audit.service.js';
import { AuditInterceptor } from './audit/audited.decorator.js';
import { AdminSessionController } from './auth/admin-session.controller.js';
import { AdminSourcesController } from './sources/admin-sources.controller.js';
import { AdminSourcesService } from './sources/admin-sources.service.js';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProcessingModule } from '../processing/processing.module.js';
import { WebhookEventEntity } from '../inbox/entities/webhook-event.entity.js';
import { AdminEventsController } from './events/admin-events.controller.js';
import { AdminEventsService } from './events/admin-events.service.js';
import { EventPurgeService } from './events/event-purge.service.js';
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
 * hook): events, replay, the quarantine, ordered keys, handlers and types, subscriptions, stats,
 * the test webhook, the audit of every change, the browser login, the sources, and the Bull Board
 * dashboard at /admin/queues. `AdminModule.forRoot({ apiKeys, production, ... })` (ConfigurableModuleBuilder).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEventEntity, SubscriptionVersion, AdminAuditEntryEntity]),
    ProcessingModule,
    QueueDashboardModule,
  ],
  controllers: [
    AdminSessionController,
    AdminAuditController,
    AdminSourcesController,
    AdminEventsController,
    AdminRejectionsController,
    AdminOrderingController,
    AdminHandlersController,
    AdminSubscriptionsController,
    AdminStatsController,
    TestWebhookController,
  ],
  providers: [
    { provide: ADMIN_OPTIONS, inject: [ADMIN_MODULE_OPTIONS], useFactory: resolveAdminOptions },
    AdminAuditService,
    AdminSourcesService,
    AuditInterceptor,
    AdminEventsService,
    EventPurgeService,
    AdminRejectionsService,
    EventReplayService,
    AdminOrderingService,
    AdminHandlersService,
    EventTypeSubscriptionsService,
    AdminStatsService,
    TestWebhookService,
  ],
  exports: [ADMIN_OPTIONS, AdminAuditService],
})
export class AdminModule extends ConfigurableAdminModule {}
