import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import type { DeliveryAttemptEntity } from '../../inbox/entities/delivery-attempt.entity.js';
import type { WebhookDeliveryEntity } from '../../inbox/entities/webhook-delivery.entity.js';
import { WebhookEventEntity } from '../../inbox/entities/webhook-event.entity.js';
import type { EventDetailDto } from './dto/event-detail.dto.js';
import type { EventFilterDto } from './dto/event-filter.dto.js';
import type { EventPageDto, EventSummaryDto } from './dto/event-summary.dto.js';
import { CURSOR_MICROS_SQL, CURSOR_TIMESTAMP_SQL, decodeCursor, encodeCursor, EventCursor } from './event-cursor.js';

export const DEFAULT_PAGE_SIZE = 50;

/**
 * The filters as query-builder conditions. Newest first on (received_at, id): with a type or a
 * status this walks the events' (type, received_at) or (status, received_at) index, otherwise the
 * received_at index, so a page costs the same on the millionth row as on the first.
 */
export function filteredEvents(
  repository: Repository<WebhookEventEntity>,
  filter: EventFilterDto,
  after?: EventCursor,
): SelectQueryBuilder<WebhookEventEntity> {
  const query = repository.createQueryBuilder('e');
  if (filter.type !== undefined) query.andWhere('e.type = :type', { type: filter.type });
  if (filter.status !== undefined) query.andWhere('e.status = :status', { status: filter.status });
  if (filter.source !== undefined) query.andWhere('e.source = :source', { source: filter.source });
  if (filter.from !== undefined) query.andWhere('e.received_at >= :from', { from: filter.from });
  if (filter.to !== undefined) query.andWhere('e.received_at < :to', { to: filter.to });
  if (after) {
    query.andWhere(`(e.received_at, e.id) < (${CURSOR_TIMESTAMP_SQL('afterMicros')}, :afterId::uuid)`, {
      afterMicros: after.receivedAtMicros,
      afterId: after.id,
    });
  }
  return query.orderBy('e.received_at', 'DESC').addOrderBy('e.id', 'DESC');
}

/** Reading the inbox: lists and single events with their whole processing history. */
@Injectable()
export class AdminEventsService {
  constructor(@InjectRepository(WebhookEventEntity) private readonly events: Repository<WebhookEventEntity>) {}

  async list(filter: EventFilterDto & { limit?: number; cursor?: string }): Promise<EventPageDto> {
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    // The payload stays out of lists: it can be large, and the detail route has it.
    const { entities, raw } = await filteredEvents(this.events, filter, after)
      .select(['e.id', 'e.externalId', 'e.source', 'e.type', 'e.status', 'e.receivedAt', 'e.processedAt'])
      .addSelect(CURSOR_MICROS_SQL('e.received_at'), 'cursor_micros')
      .limit(limit + 1)
      .getRawAndEntities<{ cursor_micros: string }>();
    const page = entities.slice(0, limit);
    const last = page.length > 0 ? raw[page.length - 1] : undefined;
    return {
      items: page.map(summary),
      nextCursor:
        entities.length > limit && last
          ? encodeCursor({ receivedAtMicros: last.cursor_micros, id: page[page.length - 1].id })
          : null,
    };
  }

  async get(id: string): Promise<EventDetailDto> {
    const event = await this.events.findOne({
      where: { id },
      relations: { deliveries: { attemptLog: true } },
      order: { deliveries: { handler: 'ASC', attemptLog: { attempt: 'ASC' } } },
    });
    if (!event) throw new NotFoundException(`no event with id ${id}`);
    return {
      ...summary(event),
      payload: event.payload,
      headers: event.headers,
      deliveries: (event.deliveries ?? []).map(delivery),
    };
  }
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

function summary(event: WebhookEventEntity): EventSummaryDto {
  return {
    id: event.id,
    externalId: event.externalId,
    source: event.source,
    type: event.type,
    status: event.status,
    receivedAt: event.receivedAt.toISOString(),
    processedAt: iso(event.processedAt),
  };
}

function delivery(row: WebhookDeliveryEntity) {
  return {
    id: row.id,
    handler: row.handler,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    lastError: row.lastError,
    firstAttemptAt: iso(row.firstAttemptAt),
    lastAttemptAt: iso(row.lastAttemptAt),
    nextAttemptAt: iso(row.nextAttemptAt),
    durationMs: row.durationMs,
    attemptLog: (row.attemptLog ?? []).map((attempt: DeliveryAttemptEntity) => ({
      attempt: attempt.attempt,
      outcome: attempt.outcome,
      startedAt: attempt.startedAt.toISOString(),
      finishedAt: attempt.finishedAt.toISOString(),
      durationMs: attempt.durationMs,
      errorMessage: attempt.errorMessage,
      errorStack: attempt.errorStack,
      takenOver: attempt.takenOver,
    })),
  };
}
