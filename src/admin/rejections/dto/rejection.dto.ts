import { ApiProperty } from '@nestjs/swagger';
import { REJECTION_CODES, type RejectionCode } from '../../../inbox/entities/webhook-rejection.entity.js';
import { PageQueryDto } from '../../events/dto/list-events-query.dto.js';

export class ListRejectionsQueryDto extends PageQueryDto {}

export class RejectionSummaryDto {
  @ApiProperty({ format: 'uuid', example: '0b7c3f0e-8a63-4c55-9d0b-2f1b0c3a9e11', description: "The quarantine's id." })
  id: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-30T09:12:03.481Z' })
  receivedAt: string;

  @ApiProperty({ example: 'default', description: 'The source it was sent to (`default`: POST /webhooks).' })
  source: string;

  @ApiProperty({
    enum: REJECTION_CODES,
    example: 'invalid_envelope',
    description: 'Why the content was refused (see docs/security.md).',
  })
  code: RejectionCode;

  @ApiProperty({
    example: 'data must be a JSON object',
    description: 'What the sender was told in the 400 (its messages joined by "; ").',
  })
  reason: string;

  @ApiProperty({ example: 182, description: 'Size of the body in bytes.' })
  size: number;

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'msg_2Nf8Qk',
    description: 'The webhook-id header, if the request had one.',
  })
  webhookId: string | null;
}

export class RejectionPageDto {
  @ApiProperty({ type: [RejectionSummaryDto] })
  items: RejectionSummaryDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'MTc2NDQ4OTYwMDEyMzQ1Ni4wYjdjM2YwZS04YTYzLTRjNTUtOWQwYi0yZjFiMGMzYTllMTE',
    description: 'Pass as `cursor` for the next (older) page; null on the last page.',
  })
  nextCursor: string | null;
}

export class RejectionBodyDto {
  @ApiProperty({ format: 'byte', example: 'eyJ0eXBlIjoiYSJ9', description: 'The body exactly as received, base64.' })
  base64: string;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '{"type":"a"}',
    description: 'The same bytes read as UTF-8 text; null when they are not valid UTF-8.',
  })
  utf8: string | null;
}

export class RejectionDetailDto extends RejectionSummaryDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The request headers kept (ids, timestamp, user agent, content type, sender address).',
    example: { 'webhook-id': 'msg_2Nf8Qk', 'user-agent': 'Provider-Webhooks/1.0', 'remote-address': '203.0.113.7' },
  })
  headers: Record<string, string>;

  @ApiProperty({ type: RejectionBodyDto })
  body: RejectionBodyDto;
}
