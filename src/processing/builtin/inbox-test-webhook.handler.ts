import { Injectable } from '@nestjs/common';
import { onWebhookMetadata } from '../api/on-webhook.decorator.js';
import type { WebhookHandler } from '../api/webhook-handler.interface.js';

/** The inbox's own test type: what the admin's test webhook sends by default (and only, in production). */
export const INBOX_TEST_EVENT_TYPE = 'webhook_inbox.test';

/**
 * Succeeds and does nothing, so a test webhook exercises the whole path (signature, commit,
 * queue, a worker, the delivery bookkeeping) without touching any business handler.
 */
@Injectable()
// Untyped: the inbox's own type is in no application's catalog, and the registry lets it through.
@onWebhookMetadata(INBOX_TEST_EVENT_TYPE, { name: 'InboxTestWebhookHandler', attempts: 1, concurrency: 1 })
export class InboxTestWebhookHandler implements WebhookHandler {
  async handle(): Promise<void> {}
}
