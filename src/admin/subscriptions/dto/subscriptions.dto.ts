import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  Max,
} from 'class-validator';
import { EVENT_TYPE_CHARACTERS, EVENT_TYPE_PATTERN, MAX_TYPE_LENGTH } from '../../../shared/event-type.js';

export const SUBSCRIPTION_MODES = ['all', 'list'] as const;

export class SubscribedTypeDto {
  @ApiProperty({ example: 'subscription_event_refund' })
  type: string;

  @ApiProperty({
    type: [String],
    example: ['SubscriptionRefundHandler'],
    description: 'Empty: stored as ignored anyway, nothing handles it.',
  })
  handlers: string[];
}

export class SubscriptionListDto {
  @ApiProperty({ example: 3, description: '0 when no list was ever set.' })
  version: number;

  @ApiProperty({
    enum: SUBSCRIPTION_MODES,
    example: 'list',
    description:
      '`all`: every type with a handler is processed (the default). `list`: only the listed types; others are stored as `ignored`.',
  })
  mode: 'all' | 'list';

  @ApiProperty({ type: [SubscribedTypeDto] })
  types: SubscribedTypeDto[];

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  changedAt: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'alice (key:3fa2b09c1d4e, 10.0.0.8)' })
  changedBy: string | null;

  @ApiProperty({ nullable: true, type: String })
  reason: string | null;

  @ApiProperty({ example: 2, description: 'Every replica applies a change within this many seconds.' })
  effectiveWithinSeconds: number;
}

export class PutSubscriptionsDto {
  @ApiPropertyOptional({ enum: SUBSCRIPTION_MODES, default: 'list' })
  @IsOptional()
  @IsIn(SUBSCRIPTION_MODES)
  mode?: 'all' | 'list';

  @ApiPropertyOptional({
    type: [String],
    example: ['subscription_user_create', 'subscription_event_refund'],
    description: 'The processed types (mode `list`); must be empty or absent with mode `all`.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(MAX_TYPE_LENGTH, { each: true })
  @Matches(EVENT_TYPE_PATTERN, {
    each: true,
    message: `each type must contain ${EVENT_TYPE_CHARACTERS}`,
  })
  types?: string[];

  @ApiPropertyOptional({
    example: 'provider dashboard: refunds enabled for all customers',
    description: 'Kept in the audit trail.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    example: 'alice',
    description: 'Your name, for the audit trail (the key fingerprint and address are always recorded).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;

  @ApiPropertyOptional({
    example: 3,
    description: 'Refuse with 409 if the list changed since this version (someone else edited it).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  expectedVersion?: number;
}

export class SubscriptionChangeDto {
  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({ enum: SUBSCRIPTION_MODES })
  mode: 'all' | 'list';

  @ApiProperty({ type: [String] })
  types: string[];

  @ApiProperty({ type: [String], example: ['subscription_manual_chargeback'] })
  added: string[];

  @ApiProperty({ type: [String], example: [] })
  removed: string[];

  @ApiProperty({ example: 'alice (key:3fa2b09c1d4e, 10.0.0.8)' })
  changedBy: string;

  @ApiProperty({ nullable: true, type: String })
  reason: string | null;

  @ApiProperty({ format: 'date-time' })
  changedAt: string;
}

export class SubscriptionHistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only versions older than this one (pagination).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  beforeVersion?: number;
}

export class PutSubscriptionsResultDto extends SubscriptionListDto {
  @ApiProperty({ description: 'False when the list was already exactly this (no new version written).' })
  changed: boolean;
}
