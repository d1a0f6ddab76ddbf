import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '../../inbox/store/event.store.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import { queueDepths } from '../../processing/queue-depth.js';
import { EVENT_STATUSES } from '../../inbox/lifecycle.js';
import type { LagDto, StatsDto, WindowCountsDto } from './dto/stats.dto.js';

const zero = () => Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as Record<string, number>;

/** The numbers an operator looks at first: volume, outcomes, queue depth, lag, backlog. */
@Injectable()
export class AdminStatsService {
  private readonly logger = new Logger(AdminStatsService.name);

  constructor(
    private readonly events: EventStore,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
  ) {}

  async stats(): Promise<StatsDto> {
    const [counts, lagHour, lagDay, backlog, queues] = await Promise.all([
      this.events.recentCounts(),
      this.lag('1 hour'),
      this.lag('1 day'),
      this.events.backlog(),
      queueDepths(this.queues, this.registry).catch((error: Error) => {
        this.logger.warn(`queue counts unavailable: ${error.message}`);
        return null;
      }),
    ]);
    return {
      generatedAt: new Date().toISOString(),
      lastHour: window(counts.map((row) => ({ ...row, count: row.last_hour }))),
      lastDay: window(counts.map((row) => ({ ...row, count: row.last_day }))),
      lagLastHour: lagHour,
      lagLastDay: lagDay,
      backlog: {
        unfinished: backlog.unfinished,
        oldestReceivedAt: backlog.oldest ? backlog.oldest.toISOString() : null,
        oldestAgeSeconds: backlog.oldest ? Math.round(backlog.ageSeconds * 1000) / 1000 : null,
      },
      queues:
        queues?.map(({ queue, waiting, active, delayed, failed }) => ({ queue, waiting, active, delayed, failed })) ??
        null,
    };
  }

  private async lag(interval: string): Promise<LagDto> {
    const row = await this.events.processingLag(interval);
    const ms = (value: number | null) => (value === null ? null : Math.round(Number(value)));
    return { processed: row.processed, p50Ms: ms(row.p50), p95Ms: ms(row.p95) };
  }
}

function window(rows: { source: string; type: string; status: string; count: number }[]): WindowCountsDto {
  const byStatus = zero();
  const byType = new Map<string, Record<string, number>>();
  const bySource = new Map<string, Record<string, number>>();
  let total = 0;
  const add = (groups: Map<string, Record<string, number>>, key: string, status: string, count: number) => {
    const counts = groups.get(key) ?? zero();
    counts[status] += count;
    groups.set(key, counts);
  };
  for (const row of rows) {
    if (row.count === 0) continue;
    total += row.count;
    byStatus[row.status] += row.count;
    add(byType, row.type, row.status, row.count);
    add(bySource, row.source, row.status, row.count);
  }
  const listed = (groups: Map<string, Record<string, number>>) =>
    [...groups.entries()]
      .map(([key, counts]) => ({ key, total: Object.values(counts).reduce((sum, n) => sum + n, 0), byStatus: counts }))
      .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  return {
    total,
    byStatus,
    byType: listed(byType).map(({ key, ...counts }) => ({ type: key, ...counts })),
    bySource: listed(bySource).map(({ key, ...counts }) => ({ source: key, ...counts })),
  };
}
