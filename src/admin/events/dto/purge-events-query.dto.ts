import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsISO8601 } from 'class-validator';

/** Only finished events can be purged; received/queued ones are still being worked on. */
export const PURGEABLE_STATUSES = ['failed', 'processed', 'ignored'] as const;

export class PurgeEventsQueryDto {
  @ApiProperty({ enum: PURGEABLE_STATUSES })
  @IsIn(PURGEABLE_STATUSES)
  status: (typeof PURGEABLE_STATUSES)[number];

  @ApiProperty({
    format: 'date-time',
    description: 'Deletes events received before this, e.g. `2026-11-01T00:00:00Z`.',
  })
  @IsISO8601({ strict: true, strictSeparator: true })
  before: string;
}

export class PurgeResultDto {
  @ApiProperty({ example: 1520, description: 'Events deleted, with their deliveries and attempts.' })
  deleted: number;
}
