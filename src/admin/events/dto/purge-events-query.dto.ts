import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsISO8601, IsOptional } from 'class-validator';
import { queryBoolean } from '../../query-boolean.js';

/**
 * Only finished events can be purged; received/queued ones are still being worked on. Failed
 * ones are the ones an operator still has to look at, so they go only when asked for by name.
 */
export const PURGEABLE_STATUSES = ['processed', 'ignored', 'failed'] as const;
export type PurgeableStatus = (typeof PURGEABLE_STATUSES)[number];

export class PurgeEventsQueryDto {
  @ApiPropertyOptional({
    enum: PURGEABLE_STATUSES,
    description: 'Only this status. Default: processed and ignored (and failed with includeFailed=true).',
  })
  @IsOptional()
  @IsIn(PURGEABLE_STATUSES)
  status?: PurgeableStatus;

  @ApiProperty({
    format: 'date-time',
    description: 'Deletes events received before this, e.g. `2026-11-01T00:00:00Z`; at most now minus PURGE_MIN_AGE.',
  })
  @IsISO8601({ strict: true, strictSeparator: true })
  before: string;

  @ApiPropertyOptional({ default: false, description: 'Failed events too (they are never purged otherwise).' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  includeFailed?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Count what would be deleted; delete nothing.' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  dryRun?: boolean;
}

export class PurgeResultDto {
  @ApiProperty({ example: 1520, description: 'Events deleted, with their deliveries and attempts (0 on a dry run).' })
  deleted: number;

  @ApiProperty({ example: 1520, description: 'Events that matched when the purge started.' })
  matched: number;

  @ApiProperty({ example: false })
  dryRun: boolean;

  @ApiProperty({ example: ['processed', 'ignored'], description: 'The statuses purged.' })
  statuses: string[];
}
