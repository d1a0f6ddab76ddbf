import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import { queueDepths } from '../../ops/metrics/queue-depth.js';
import { EVENT_STATUSES } from '../../inbox/entities/webhook-event.entity.js';
import type { LagDto, StatsDto, WindowCountsDto } from './dto/stats.dto.js';

// One range scan of ix_webhook_events_received for both windows.
const COUNTS = `
  SELECT type, status,
         count(*) FILTER (WHERE received_at >= now() - interval '1 hour')::int AS last_hour,
         count(*)::int AS last_day
  FROM webhook_events
  WHERE received_at >= now() - interval '1 day'
  GROUP BY type, status`;

const LAG = `
  SELECT count(*)::int AS processed,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch from processed_at - received_at)) * 1000 AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch from processed_at - received_at)) * 1000 AS p95
  FROM webhook_events
  WHERE received_at >= now() - $1::interval AND status = 'processed'`;

// Two short backward scans of ix_webhook_events_status_received.
const BACKLOG = `
  SELECT count(*)::int AS unfinished, min(received_at) AS oldest, extract(epoch from now() - min(received_at)) AS age
  FROM webhook_events WHERE status IN ('received', 'queued')`;

const zero = () => Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as Record<string, number>;

/** The numbers an operator looks at first: volume, outcomes, queue depth, lag, backlog. */
@Injectable()
export class AdminStatsService {
  private readonly logger = new Logger(AdminStatsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
  ) {}

  async stats(): Promise<StatsDto> {
    const [counts, lagHour, lagDay, [backlog], queues] = await Promise.all([
      this.dataSource.query<{ type: string; status: string; last_hour: number; last_day: number }[]>(COUNTS),
      this.lag('1 hour'),
      this.lag('1 day'),
      this.dataSource.query<{ unfinished: number; oldest: Date | null; age: string | null }[]>(BACKLOG),
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
        oldestAgeSeconds: backlog.age === null ? null : Math.round(Number(backlog.age) * 1000) / 1000,
      },
      queues: queues?.map(({ queue, waiting, active, delayed, failed }) => ({ queue, waiting, active, delayed, failed })) ?? null,
    };
  }

  private async lag(interval: string): Promise<LagDto> {
    const [row] = await this.dataSource.query<{ processed: number; p50: number | null; p95: number | null }[]>(LAG, [interval]);
    const ms = (value: number | null) => (value === null ? null : Math.round(Number(value)));
    return { processed: row.processed, p50Ms: ms(row.p50), p95Ms: ms(row.p95) };
  }
}

function window(rows: { type: string; status: string; count: number }[]): WindowCountsDto {
  const byStatus = zero();
  const byType = new Map<string, Record<string, number>>();
  let total = 0;
  for (const row of rows) {
    if (row.count === 0) continue;
    total += row.count;
    byStatus[row.status] += row.count;
    const type = byType.get(row.type) ?? zero();
    type[row.status] += row.count;
    byType.set(row.type, type);
  }
  return {
    total,
    byStatus,
    byType: [...byType.entries()]
      .map(([type, counts]) => ({ type, total: Object.values(counts).reduce((sum, n) => sum + n, 0), byStatus: counts }))
      .sort((a, b) => b.total - a.total || a.type.localeCompare(b.type)),
  };
}
