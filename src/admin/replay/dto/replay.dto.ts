import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../inbox/lifecycle.js';
import { EventFilterDto } from '../../events/dto/event-filter.dto.js';
import { queryBoolean } from '../../query-boolean.js';
import { HANDLER_NAME_PATTERN } from '../../../processing/discovery/webhook-handler.registry.js';

/** "true"/"false" in a query string; anything else stays as is and fails @IsBoolean. */
/** A bulk replay of more events than this must be confirmed with their count. */
export const BULK_REPLAY_CONFIRM_ABOVE = 10_000;

/** Which deliveries of one event run again. */
export class ReplaySelectionDto {
  @ApiPropertyOptional({
    default: false,
    description:
      'Re-run every finished delivery (succeeded or dead) and create the missing ones for handlers added since. ' +
      'Default: only the dead (failed) ones.',
  })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({
    description:
      'Only this handler (e.g. `SubscriptionRefundHandler`), whatever its delivery status, unless still in progress.',
  })
  @IsOptional()
  @IsString()
  @Matches(HANDLER_NAME_PATTERN, { message: 'handler must be a handler name' })
  handler?: string;
}

export const REPLAYABLE_EVENT_STATUSES = ['failed', 'processed', 'ignored'] as const;
export type ReplayableEventStatus = (typeof REPLAYABLE_EVENT_STATUSES)[number];

export class ReplayByFilterDto extends OmitType(EventFilterDto, ['status'] as const) {
  @ApiPropertyOptional({
    enum: REPLAYABLE_EVENT_STATUSES,
    default: 'failed',
    description: 'Events still in flight (received, queued) are never replayed.',
  })
  @IsOptional()
  @IsIn(REPLAYABLE_EVENT_STATUSES)
  status?: ReplayableEventStatus;

  @ApiPropertyOptional({
    default: false,
    description: 'As for one event: every finished delivery, not only the dead ones.',
  })
  @IsOptional()
  @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({ example: 'SubscriptionRefundHandler' })
  @IsOptional()
  @IsString()
  @Matches(HANDLER_NAME_PATTERN, { message: 'handler must be a handler name' })
  handler?: string;

  @ApiPropertyOptional({
    example: 'refund handler fixed in v1.4.2',
    description: 'Written to the log with the replay.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ default: false, description: 'Count the matching events; replay nothing.' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    example: 12840,
    description: `Required when more than ${BULK_REPLAY_CONFIRM_ABOVE.toLocaleString('en')} events match: the count a dry run (or the refusal) reported.`,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  confirm?: number;
}

export class ReplayedDeliveryDto {
  @ApiProperty({ example: 'SubscriptionRefundHandler' })
  handler: string;

  @ApiProperty({ format: 'uuid' })
  deliveryId: string;

  @ApiProperty({
    enum: [...DELIVERY_STATUSES, 'missing'],
    example: 'dead',
    description: '`missing`: the handler had no delivery for this event yet; one was created.',
  })
  previousStatus: DeliveryStatus | 'missing';
}

export class SkippedDeliveryDto {
  @ApiProperty({ example: 'SubscriptionCreatedHandler' })
  handler: string;

  @ApiProperty({ example: 'succeeded; pass all=true to run it again' })
  reason: string;
}

export class EventReplayResultDto {
  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({ type: [ReplayedDeliveryDto], description: 'Set back to pending and queued.' })
  replayed: ReplayedDeliveryDto[];

  @ApiProperty({ type: [SkippedDeliveryDto] })
  skipped: SkippedDeliveryDto[];

  @ApiProperty({
    description: 'False when Redis refused the job: the relay queues the deliveries within about a minute.',
  })
  queued: boolean;
}

export class BulkReplayAcceptedDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'replay-m3x9k2-3f9a',
    description: 'On every log line of this replay.',
  })
  replayId: string | null;

  @ApiProperty({
    example: 128,
    description: 'Events matching the filter now; their deliveries are replayed in the background.',
  })
  matched: number;

  @ApiProperty({ example: false, description: 'True: counted only; nothing was replayed (and `replayId` is null).' })
  dryRun: boolean;
}
