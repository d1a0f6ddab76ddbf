import { ApiProperty } from '@nestjs/swagger';
import { EVENT_STATUSES, type EventStatus } from '../../../inbox/lifecycle.js';

export class EventSummaryDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2d1e-3b4a-4c5d-8e9f-0a1b2c3d4e5f', description: "The inbox's id." })
  id: string;

  @ApiProperty({
    example: 'evt_2Nf8Qk',
    description: "The provider's id (envelope id, else webhook-id, else a body hash).",
  })
  externalId: string;

  @ApiProperty({ example: 'default' })
  source: string;

  @ApiProperty({ example: 'subscription_event_refund' })
  type: string;

  @ApiProperty({ enum: EVENT_STATUSES, example: 'processed' })
  status: EventStatus;

  @ApiProperty({ format: 'date-time', example: '2026-11-30T09:12:03.481Z' })
  receivedAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-11-30T09:12:03.529Z' })
  processedAt: string | null;
}

export class EventPageDto {
  @ApiProperty({ type: [EventSummaryDto] })
  items: EventSummaryDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'MTc2NDQ4OTYwMDEyMzQ1Ni42ZjFjMmQxZS0zYjRhLTRjNWQtOGU5Zi0wYTFiMmMzZDRlNWY',
    description: 'Pass as `cursor` for the next (older) page; null on the last page.',
  })
  nextCursor: string | null;
}
