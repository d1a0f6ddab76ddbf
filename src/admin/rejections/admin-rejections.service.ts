import { Injectable, NotFoundException } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { RejectionStore, type RejectionSummary } from '../../inbox/store/rejection.store.js';
import { DEFAULT_PAGE_SIZE } from '../events/admin-events.service.js';
import { decodeCursor, encodeCursor } from '../events/event-cursor.js';
import type {
  ListRejectionsQueryDto,
  RejectionDetailDto,
  RejectionPageDto,
  RejectionSummaryDto,
} from './dto/rejection.dto.js';

/** The quarantine, for operators: list, read (the exact bytes received) and delete. */
@Injectable()
export class AdminRejectionsService {
  constructor(private readonly store: RejectionStore) {}

  async list(query: ListRejectionsQueryDto): Promise<RejectionPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // The same opaque cursor as GET /admin/events: (received_at in microseconds, id).
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.store.page(limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(summary),
      nextCursor: rows.length > limit ? encodeCursor({ receivedAtMicros: last.receivedAtMicros, id: last.id }) : null,
    };
  }

  async get(id: string): Promise<RejectionDetailDto> {
    const rejection = await this.store.get(id);
    if (!rejection) throw new NotFoundException(`no quarantined request with id ${id}`);
    const { body } = rejection;
    return {
      id: rejection.id,
      receivedAt: rejection.receivedAt.toISOString(),
      source: rejection.source,
      code: rejection.code,
      reason: rejection.reason,
      size: body.length,
      webhookId: rejection.headers['webhook-id'] ?? null,
      headers: rejection.headers,
      body: { base64: body.toString('base64'), utf8: isUtf8(body) ? body.toString('utf8') : null },
    };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw new NotFoundException(`no quarantined request with id ${id}`);
  }
}

function summary(row: RejectionSummary): RejectionSummaryDto {
  return {
    id: row.id,
    receivedAt: row.receivedAt.toISOString(),
    source: row.source,
    code: row.code,
    reason: row.reason,
    size: row.size,
    webhookId: row.webhookId,
  };
}
