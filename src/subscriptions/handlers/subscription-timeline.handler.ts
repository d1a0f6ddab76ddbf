import { Injectable } from '@nestjs/common';
import {
  OnWebhook,
  PermanentWebhookError,
  WebhookEvent,
  WebhookHandler,
  WebhookHandlerContext,
} from '../../processing/api/index.js';
import { TimelineEntry } from '../timeline-entry.entity.js';

interface TimelineData {
  subscription_id: string;
  amount?: unknown;
}

const RETURNS = new Set(['subscription_event_refund', 'subscription_manual_chargeback']);

/**
 * The subscription's timeline: one numbered line per event, with the total returned to the
 * customer after it. Unlike the ledger's totals, which are the same whatever the order, each line
 * depends on the lines before it, so the handler asks for its events one at a time per
 * subscription, in the order they were received (`orderBy`). A line that cannot be written holds
 * the subscription's later lines (`onDead` stays `'block'`) until an operator retries or skips it
 * (/admin/ordering): a timeline with a hole in it would be wrong.
 */
@Injectable()
@OnWebhook(['subscription_user_create', 'subscription_event_refund', 'subscription_manual_chargeback'], {
  orderBy: 'data.subscription_id',
  transactional: true,
  concurrency: 10,
})
export class SubscriptionTimelineHandler implements WebhookHandler<TimelineData> {
  async handle(event: WebhookEvent<TimelineData>, { manager }: WebhookHandlerContext): Promise<void> {
    const { subscription_id: subscriptionId, amount } = event.data;
    let returned = 0;
    if (RETURNS.has(event.type)) {
      if (!Number.isSafeInteger(amount) || (amount as number) < 0) {
        throw new PermanentWebhookError(`amount must be a non-negative integer, not ${JSON.stringify(amount)}`);
      }
      returned = amount as number;
    }
    const timeline = manager.getRepository(TimelineEntry);
    // No other delivery of this subscription runs meanwhile: the last line is the one before ours.
    const last = await timeline.findOne({ where: { subscriptionId }, order: { entryNo: 'DESC' } });
    await timeline.insert({
      eventId: event.id,
      subscriptionId,
      entryNo: (last?.entryNo ?? 0) + 1,
      type: event.type,
      amount: String(returned),
      returnedTotal: String(Number(last?.returnedTotal ?? 0) + returned),
      occurredAt: event.createdAt ? new Date(event.createdAt) : event.receivedAt,
    });
  }
}
