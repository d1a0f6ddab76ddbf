import { ApiProperty } from '@nestjs/swagger';
import { EVENT_STATUSES } from '../../../inbox/lifecycle.js';
import { QueueCountsDto } from '../../handlers/dto/handlers.dto.js';

/** A count per event status, every status present. */
const statusCounts = {
  type: 'object' as const,
  additionalProperties: { type: 'integer' },
  description: `Events by status (${EVENT_STATUSES.join(', ')}).`,
  example: { received: 0, queued: 3, processed: 4180, failed: 2, ignored: 37 },
};

export class TypeCountsDto {
  @ApiProperty({ example: 'subscription_event_refund' })
  type: string;

  @ApiProperty({ example: 212 })
  total: number;

  @ApiProperty(statusCounts)
  byStatus: Record<string, number>;
}

export class SourceCountsDto {
  @ApiProperty({ example: 'default', description: '`default` is POST /webhooks; the others are WEBHOOK_SOURCES.' })
  source: string;

  @ApiProperty({ example: 4010 })
  total: number;

  @ApiProperty(statusCounts)
  byStatus: Record<string, number>;
}

export class WindowCountsDto {
  @ApiProperty({ example: 4222 })
  total: number;

  @ApiProperty(statusCounts)
  byStatus: Record<string, number>;

  @ApiProperty({ type: [TypeCountsDto], description: 'By type, across sources.' })
  byType: TypeCountsDto[];

  @ApiProperty({ type: [SourceCountsDto] })
  bySource: SourceCountsDto[];
}

export class LagDto {
  @ApiProperty({ example: 4180, description: 'Processed events the percentiles are computed over.' })
  processed: number;

  @ApiProperty({ nullable: true, type: Number, example: 41, description: 'Median received → processed, in ms.' })
  p50Ms: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 180 })
  p95Ms: number | null;
}

export class BacklogDto {
  @ApiProperty({ example: 3, description: 'Events received or queued, not yet finished.' })
  unfinished: number;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  oldestReceivedAt: string | null;

  @ApiProperty({
    nullable: true,
    type: Number,
    example: 0.8,
    description: 'How far behind the oldest unfinished event is.',
  })
  oldestAgeSeconds: number | null;
}

export class StatsDto {
  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty({ type: WindowCountsDto, description: 'Events received in the last hour.' })
  lastHour: WindowCountsDto;

  @ApiProperty({ type: WindowCountsDto, description: 'Events received in the last 24 hours.' })
  lastDay: WindowCountsDto;

  @ApiProperty({ type: LagDto, description: 'Processing lag of events received in the last hour.' })
  lagLastHour: LagDto;

  @ApiProperty({ type: LagDto, description: 'Processing lag of events received in the last 24 hours.' })
  lagLastDay: LagDto;

  @ApiProperty({ type: BacklogDto })
  backlog: BacklogDto;

  @ApiProperty({ type: [QueueCountsDto], nullable: true, description: 'Null when Redis did not answer.' })
  queues: QueueCountsDto[] | null;
}
