import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HandlersModule } from '../processing/processing.module.js';
import { EventEnqueuer } from './event-enqueuer.js';
import { JsonContentTypeGuard } from './json-content-type.guard.js';
import { WebhookEvent } from '../inbox/entities/webhook-event.entity.js';
import { WebhookIngestionService } from './webhook-ingestion.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';
import { WebhooksController } from './webhooks.controller.js';

/** The public edge: POST /webhooks → verify → parse → commit → answer → enqueue. */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEvent]), HandlersModule],
  controllers: [WebhooksController],
  providers: [WebhookIngestionService, EventEnqueuer, WebhookSignatureGuard, JsonContentTypeGuard],
  exports: [WebhookIngestionService, WebhookSignatureGuard, TypeOrmModule],
})
export class WebhooksModule {}
