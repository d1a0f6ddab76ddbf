import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module.js';
import { EventEnqueuer } from './event-enqueuer.js';
import { EventWriter } from './event-writer.js';
import { IngressOutcomeInterceptor } from './ingress-outcome.interceptor.js';
import { JsonContentTypeGuard } from './json-content-type.guard.js';
import { VerifiedBodyInterceptor } from './verified-body.interceptor.js';
import { WebhookIngestionService } from './webhook-ingestion.service.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';
import { WebhooksController } from './webhooks.controller.js';
import { KnownSourceGuard, WebhookSources } from './sources/webhook-sources.js';

/**
 * The public edge: POST /webhooks → verify (raw bytes) → parse → commit (group commit) → answer →
 * enqueue; verified content that is refused → quarantine → answer 400.
 */
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
    VerifiedBodyInterceptor,
    WebhookSources,
    KnownSourceGuard,
  ],
  exports: [WebhookSources],
})
export class IngressModule {}
