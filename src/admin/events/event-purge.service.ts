import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { EventStore } from '../../inbox/store/event.store.js';
import { ADMIN_OPTIONS, type AdminOptions } from '../admin.options.js';
import type { PurgeableStatus, PurgeEventsQueryDto, PurgeResultDto } from './dto/purge-events-query.dto.js';

/**
 * The operator's purge, with a smaller blast radius than a DELETE: nothing younger than
 * PURGE_MIN_AGE, never an unfinished event, never a failed one unless asked for, and a dry run.
 */
@Injectable()
export class EventPurgeService {
  constructor(
    private readonly store: EventStore,
    @Inject(ADMIN_OPTIONS) private readonly options: AdminOptions,
  ) {}

  async purge(query: PurgeEventsQueryDto, now = new Date()): Promise<PurgeResultDto> {
    const before = new Date(query.before);
    const latest = new Date(now.getTime() - this.options.purgeMinAgeMs);
    if (before > latest) {
      throw new BadRequestException([
        `before must be at most now minus PURGE_MIN_AGE (${formatAge(this.options.purgeMinAgeMs)}), i.e. ` +
          `${latest.toISOString()} or earlier`,
      ]);
    }
    if (query.status === 'failed' && !query.includeFailed) {
      throw new BadRequestException([
        'failed events are kept for an operator to replay: pass includeFailed=true to purge them',
      ]);
    }
    const statuses: PurgeableStatus[] = query.status
      ? [query.status]
      : ['processed', 'ignored', ...(query.includeFailed ? (['failed'] as const) : [])];
    const matched = await this.store.countPurgeable(statuses, before);
    const dryRun = query.dryRun ?? false;
    const deleted = dryRun || matched === 0 ? 0 : await this.store.purge(statuses, before);
    return { deleted, matched, dryRun, statuses };
  }
}

function formatAge(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours) ? `${hours} h` : `${Math.round(ms / 60_000)} min`;
}
