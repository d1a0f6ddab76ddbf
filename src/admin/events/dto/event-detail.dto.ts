import { ApiProperty } from '@nestjs/swagger';
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '../../../inbox/entities/delivery-attempt.entity.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../inbox/lifecycle.js';
import { EventSummaryDto } from './event-summary.dto.js';

export class AttemptDto {
  @ApiProperty({ example: 2, description: '1 for the first run; keeps counting across replays.' })
  attempt: number;

  @ApiProperty({ enum: ATTEMPT_OUTCOMES, example: 'failed' })
  outcome: AttemptOutcome;

  @ApiProperty({ format: 'date-time' })
  startedAt: string;

  @ApiProperty({ format: 'date-time' })
  finishedAt: string;

  @ApiProperty({ example: 37 })
  durationMs: number;

  @ApiProperty({ nullable: true, type: String, example: 'connect ECONNREFUSED 10.0.0.7:443' })
  errorMessage: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The first lines of the stack.',
    example: 'Error: connect ECONNREFUSED\n    at …',
  })
  errorStack: string | null;

  @ApiProperty({
    example: false,
    description: 'The run ended after another run had taken the delivery over: history only, not the outcome.',
  })
  takenOver: boolean;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'SubscriptionRefundHandler' })
  handler: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'dead' })
  status: DeliveryStatus;

  @ApiProperty({ example: 5 })
  attempts: number;

  @ApiProperty({ example: 5 })
  maxAttempts: number;

  @ApiProperty({ nullable: true, type: String })
  lastError: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  firstAttemptAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastAttemptAt: string | null;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When a `retrying` delivery runs next.',
  })
  nextAttemptAt: string | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Duration of the last attempt.' })
  durationMs: number | null;

  @ApiProperty({ type: [AttemptDto] })
  attemptLog: AttemptDto[];
}

export class EventDetailDto extends EventSummaryDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The envelope exactly as received (extra fields included).',
    example: { id: 'evt_2Nf8Qk', type: 'subscription_event_refund', data: { refund_id: 'rf_1', amount: 500 } },
  })
  payload: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The request headers kept with the event (ids, timestamp, user agent, sender address).',
    example: { 'webhook-id': 'msg_2Nf8Qk', 'user-agent': 'Provider-Webhooks/1.0', 'remote-address': '203.0.113.7' },
  })
  headers: Record<string, string>;

  @ApiProperty({ type: [DeliveryDto], description: 'One per handler, each with every attempt.' })
  deliveries: DeliveryDto[];
}
