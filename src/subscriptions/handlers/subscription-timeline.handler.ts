import { Injectable } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler, WebhookHandlerContext } from '../../processing/api/index.js';
import { TimelineEntry } from '../timeline-entry.entity.js';

type TimelineTypes = 'subscription_user_create' | 'subscription_event_refund' | 'subscription_manual_chargeback';

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
export class SubscriptionTimelineHandler implements WebhookHandler<TimelineTypes> {
  async handle(event: WebhookEvent<TimelineTypes>, { manager }: WebhookHandlerContext): Promise<void> {
    const subscriptionId = event.data.subscription_id;
    // Each type's DTO (from the catalog) has already checked the amounts; `type` narrows `data`.
    const returned = event.type === 'subscription_user_create' ? 0 : event.data.amount;
    const timeline = manager.getRepository(TimelineEntry);
    // A replay of an event that already has its line adds nothing (and must not fail: a dead line blocks the key).
    if (await timeline.existsBy({ eventId: event.id })) return;
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
