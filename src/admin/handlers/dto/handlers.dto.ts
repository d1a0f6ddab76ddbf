import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_STATUSES } from '../../../inbox/lifecycle.js';
import { EVENT_STATUSES } from '../../../inbox/lifecycle.js';

/** A count per status, every status present. */
const countsOf = (statuses: readonly string[], example: number[]) => ({
  type: 'object' as const,
  additionalProperties: { type: 'integer' },
  example: Object.fromEntries(statuses.map((status, index) => [status, example[index] ?? 0])),
});

export class QueueCountsDto {
  @ApiProperty({ example: 'webhook-handler-SubscriptionRefundHandler' })
  queue: string;

  @ApiProperty({ example: 0, description: 'Jobs waiting for a worker (prioritised ones included).' })
  waiting: number;

  @ApiProperty({ example: 1 })
  active: number;

  @ApiProperty({ example: 2, description: 'Retries waiting for their backoff to pass.' })
  delayed: number;

  @ApiProperty({ example: 0, description: 'Jobs BullMQ gave up on (the relay re-queues their deliveries).' })
  failed: number;
}

export class HandlerOrderingDto {
  @ApiProperty({ example: 'data.subscription_id', description: 'The dotted path, or `function` (with its name).' })
  orderBy: string;

  @ApiProperty({ enum: ['block', 'skip'] })
  onDead: 'block' | 'skip';

  @ApiProperty({ enum: ['refuse', 'unordered'] })
  onMissingKey: 'refuse' | 'unordered';
}

export class HandlerOptionsDto {
  @ApiProperty({ example: 5 })
  attempts: number;

  @ApiProperty({ example: { type: 'exponential', delayMs: 1000, maxDelayMs: 3600000 } })
  backoff: { type: string; delayMs: number; maxDelayMs: number };

  @ApiProperty({ example: 30000 })
  timeoutMs: number;

  @ApiProperty({ example: 5 })
  concurrency: number;

  @ApiPropertyOptional({ example: { max: 10, durationMs: 1000 }, nullable: true })
  rateLimit: { max: number; durationMs: number } | null;

  @ApiProperty({ example: true })
  transactional: boolean;

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'SubscriptionRefundData',
    description: 'The class validating `data`.',
  })
  dto: string | null;

  @ApiProperty({ example: 100, description: 'Events per job.' })
  batchSize: number;

  @ApiProperty({
    type: HandlerOrderingDto,
    nullable: true,
    description: 'Set when the handler runs the deliveries of a key one at a time, in inbox order (`orderBy`).',
  })
  ordering: HandlerOrderingDto | null;
}

export class HandlerDto {
  @ApiProperty({ example: 'SubscriptionRefundHandler' })
  name: string;

  @ApiProperty({ type: [String], example: ['subscription_event_refund'] })
  types: string[];

  @ApiProperty({ description: 'False for a handler that has deliveries in the database but is no longer in the code.' })
  registered: boolean;

  @ApiProperty({ type: HandlerOptionsDto, nullable: true })
  options: HandlerOptionsDto | null;

  @ApiProperty({ ...countsOf(DELIVERY_STATUSES, [0, 1, 1520, 2, 3]), description: 'Deliveries by status.' })
  deliveries: Record<string, number>;

  @ApiProperty({ type: QueueCountsDto, nullable: true, description: 'Null when Redis did not answer.' })
  queue: QueueCountsDto | null;
}

export class EventTypeHandlerDto {
  @ApiProperty({ example: 'SubscriptionRefundHandler' })
  name: string;

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'SubscriptionRefundData',
    description: 'Validates `data` of this type.',
  })
  dto: string | null;

  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: "JSON schema of `data` derived from the DTO's class-validator rules.",
    example: { type: 'object', properties: { amount: { type: 'integer', minimum: 0 } }, required: ['amount'] },
  })
  dataSchema: Record<string, unknown> | null;
}

export class EventTypeDto {
  @ApiProperty({ example: 'subscription_event_refund' })
  type: string;

  @ApiProperty({ example: 1532 })
  total: number;

  @ApiProperty({ ...countsOf(EVENT_STATUSES, [0, 0, 1520, 12, 0]), description: 'Stored events by status.' })
  byStatus: Record<string, number>;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastSeenAt: string | null;

  @ApiProperty({ description: "In the application's event catalog (defineWebhookEvents) of the default source." })
  catalogued: boolean;

  @ApiProperty({ nullable: true, type: String, example: 'SubscriptionRefundData', description: "The catalog's DTO." })
  dto: string | null;

  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: "JSON schema of `data` from the catalog's DTO (its class-validator rules).",
    example: { type: 'object', properties: { amount: { type: 'integer', minimum: 0 } }, required: ['amount'] },
  })
  dataSchema: Record<string, unknown> | null;

  @ApiProperty({ description: 'In the subscription list (always true in mode `all`).' })
  subscribed: boolean;

  @ApiProperty({ description: 'Arriving events of this type run handlers (subscribed and handled).' })
  processed: boolean;

  @ApiProperty({ type: [EventTypeHandlerDto] })
  handlers: EventTypeHandlerDto[];
}
