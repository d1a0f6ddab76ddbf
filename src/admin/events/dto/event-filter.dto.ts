import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { EVENT_TYPE_CHARACTERS, EVENT_TYPE_PATTERN, MAX_TYPE_LENGTH } from '../../../shared/event-type.js';
import { EVENT_STATUSES, type EventStatus } from '../../../inbox/lifecycle.js';

/**
 * Which events: every field optional, all given ones must match. Query parameters carry no
 * `example` on purpose: Swagger UI would pre-fill "Try it out" with it, filtering by accident.
 */
export class EventFilterDto {
  @ApiPropertyOptional({ description: 'e.g. `subscription_event_refund`', maxLength: MAX_TYPE_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TYPE_LENGTH)
  @Matches(EVENT_TYPE_PATTERN, { message: `type must contain ${EVENT_TYPE_CHARACTERS}` })
  type?: string;

  @ApiPropertyOptional({ enum: EVENT_STATUSES })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: EventStatus;

  @ApiPropertyOptional({ description: 'The sender; `default` while there is one provider.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  source?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'received_at ≥ this (inclusive), e.g. `2026-11-29T00:00:00Z`.',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'received_at < this (exclusive), e.g. `2026-11-30T00:00:00Z`.',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;
}
