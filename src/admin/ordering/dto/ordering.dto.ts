import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../inbox/lifecycle.js';
import { HANDLER_NAME_PATTERN } from '../../../processing/discovery/webhook-handler.registry.js';

export class BlockedQueryDto {
  @ApiPropertyOptional({ description: 'Only this handler.', example: 'SubscriptionTimelineHandler' })
  @IsOptional()
  @IsString()
  @Matches(HANDLER_NAME_PATTERN, { message: 'handler must be a handler name' })
  handler?: string;
}

/** The delivery at the head of a key: the one the key waits for. */
export class KeyHeadDto {
  @ApiProperty({ format: 'uuid' })
  deliveryId: string;

  @ApiProperty({ format: 'uuid', description: "The inbox's id of the head's event (see GET /admin/events/{id})." })
  eventId: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'dead' })
  status: DeliveryStatus;

  @ApiProperty({ example: 5 })
  attempts: number;

  @ApiProperty({ example: 5 })
  maxAttempts: number;

  @ApiProperty({ nullable: true, type: String, example: 'subscription sub_1 is locked by the billing system' })
  error: string | null;

  @ApiProperty({ description: 'When the head last changed (its last outcome).' })
  since: Date;

  @ApiProperty({ nullable: true, type: Date, description: 'For a retrying head: when its next attempt is due.' })
  nextAttemptAt: Date | null;
}

export class BlockedKeyDto {
  @ApiProperty({ example: 'sub_1' })
  key: string;

  @ApiProperty({ type: KeyHeadDto })
  head: KeyHeadDto;

  @ApiProperty({ example: 3, description: 'Deliveries of the key waiting behind the head.' })
  waiting: number;
}

export class BlockedHandlerDto {
  @ApiProperty({ example: 'SubscriptionTimelineHandler' })
  handler: string;

  @ApiProperty({
    enum: ['block', 'skip'],
    nullable: true,
    type: String,
    description: "The handler's onDead policy; null when it is not registered in this deployment.",
  })
  onDead: 'block' | 'skip' | null;

  @ApiProperty({ type: [BlockedKeyDto], description: 'Longest blocked first.' })
  keys: BlockedKeyDto[];
}

export class BlockedKeysDto {
  @ApiProperty({
    type: [BlockedHandlerDto],
    description: 'Handlers with at least one key whose head is failing (retrying, or dead and not skipped).',
  })
  handlers: BlockedHandlerDto[];
}

export class KeyDeliveryDto {
  @ApiProperty({ format: 'uuid' })
  deliveryId: string;

  @ApiProperty({ format: 'uuid' })
  eventId: string;
}

export class SkipResultDto {
  @ApiProperty({ type: KeyDeliveryDto, description: 'The head, now dead and skipped; its event is finished.' })
  skipped: KeyDeliveryDto;

  @ApiProperty({
    type: KeyDeliveryDto,
    nullable: true,
    description: 'The next delivery of the key, queued now; null when none waits or it cannot run yet.',
  })
  next: KeyDeliveryDto | null;
}

export class RetryResultDto {
  @ApiProperty({ type: KeyDeliveryDto, description: 'The head, back to pending with a fresh set of attempts.' })
  retried: KeyDeliveryDto;

  @ApiProperty({ description: 'False when Redis refused the job: the relay queues it later.' })
  queued: boolean;
}
