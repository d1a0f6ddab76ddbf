import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { DeliveryStore, type KeyHead } from '../../inbox/store/delivery.store.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import { EventReplayService } from '../replay/event-replay.service.js';
import type { BlockedKeysDto, KeyHeadDto, RetryResultDto, SkipResultDto } from './dto/ordering.dto.js';

/**
 * Keys of ordered handlers held by a failing head, and the operator's two ways out: skip the head
 * (the key moves on) or retry it (it runs again, first in its key). The store does the work under
 * row locks; this only checks what the head is and queues what can run next.
 */
@Injectable()
export class AdminOrderingService {
  private readonly logger = new Logger(AdminOrderingService.name);

  constructor(
    private readonly deliveries: DeliveryStore,
    private readonly registry: WebhookHandlerRegistry,
    private readonly queues: InboxQueues,
    private readonly replays: EventReplayService,
  ) {}

  async blocked(handler?: string): Promise<BlockedKeysDto> {
    const byHandler = new Map<string, BlockedKeysDto['handlers'][number]>();
    for (const head of await this.deliveries.blockedHeads(handler)) {
      let entry = byHandler.get(head.handler);
      if (!entry) {
        const onDead = this.registry.get(head.handler)?.ordering?.onDead ?? null;
        byHandler.set(head.handler, (entry = { handler: head.handler, onDead, keys: [] }));
      }
      entry.keys.push({ key: head.order_key, head: headDto(head), waiting: head.waiting });
    }
    return { handlers: [...byHandler.values()] };
  }

  async skip(handler: string, key: string): Promise<SkipResultDto> {
    const head = await this.failingHead(handler, key, ['dead', 'retrying']);
    const skipped = await this.deliveries.skipHead(handler, key);
    if (!skipped || skipped.id !== head.id) {
      throw new ConflictException(`the head of ${handler}/${key} changed meanwhile; look again and retry`);
    }
    const [next] = await this.deliveries.wakeNext([skipped.id]);
    const registered = this.registry.get(handler);
    if (next && registered) {
      await this.queues
        .addHandlerJobs(handler, [{ id: next.job_id, eventIds: [next.event_id] }])
        .catch((error: Error) =>
          this.logger.warn(`skip committed, next not queued (the relay will): ${error.message}`),
        );
    }
    this.logger.log({ handler, key, deliveryId: skipped.id, eventId: skipped.event_id, msg: 'ordered key skipped' });
    return {
      skipped: { deliveryId: skipped.id, eventId: skipped.event_id },
      next: next ? { deliveryId: next.id, eventId: next.event_id } : null,
    };
  }

  async retry(handler: string, key: string): Promise<RetryResultDto> {
    if (!this.registry.get(handler))
      throw new NotFoundException(`handler ${handler} is not registered in this deployment`);
    const head = await this.failingHead(handler, key, ['dead']);
    // A replay of the head's event for this handler: same claims, same bookkeeping, and the head
    // keeps its inbox position, so it runs before the deliveries waiting behind it.
    const result = await this.replays.replayEvent(head.event_id, { handler });
    const retried = result.replayed.find((delivery) => delivery.deliveryId === head.id);
    if (!retried) throw new ConflictException(`the head of ${handler}/${key} changed meanwhile; look again and retry`);
    this.logger.log({ handler, key, deliveryId: head.id, eventId: head.event_id, msg: 'ordered key head retried' });
    return { retried: { deliveryId: head.id, eventId: head.event_id }, queued: result.queued };
  }

  private async failingHead(handler: string, key: string, statuses: KeyHead['status'][]): Promise<KeyHead> {
    const head = await this.deliveries.headOfKey(handler, key);
    if (!head) throw new NotFoundException(`nothing holds key ${key} of handler ${handler}`);
    if (!statuses.includes(head.status)) {
      throw new ConflictException(
        `the head of ${handler}/${key} is ${head.status}, not ${statuses.join(' or ')}: ` +
          (head.status === 'retrying' ? 'it retries on its own (skip it to give up on it)' : 'it runs on its own'),
      );
    }
    return head;
  }
}

function headDto(head: KeyHead): KeyHeadDto {
  return {
    deliveryId: head.id,
    eventId: head.event_id,
    status: head.status,
    attempts: head.attempts,
    maxAttempts: head.max_attempts,
    error: head.last_error,
    since: head.since,
    nextAttemptAt: head.next_attempt_at,
  };
}
