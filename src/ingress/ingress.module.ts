import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module.js';
import { EventEnqueuer } from './event-enqueuer.js';
import { EventWriter } from './event-writer.js';
import { IngressOutcomeInterceptor } from './ingress-outcome.interceptor.js';
import { JsonContentTypeGuard } from './json-content-type.guard.js';
import { WebhookIngestionService } from './webhook-ingestion.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';
import { WebhooksController } from './webhooks.controller.js';

/** The public edge: POST /webhooks → verify → parse → commit (group commit) → answer → enqueue. */
@Module({
  imports: [InboxModule],
  controllers: [WebhooksController],
  providers: [
    WebhookIngestionService,
    EventWriter,
    EventEnqueuer,
    WebhookSignatureGuard,
    JsonContentTypeGuard,
    IngressOutcomeInterceptor,
  ],
})
export class IngressModule {}
