import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../events/dto/list-events-query.dto.js';

export class ListAuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'events.purge', description: 'Only this action.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ example: 'ops', description: "Only this admin key's name." })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}

/** The audit's cursor is the last entry's id: entries are numbered in the order they were written. */
export const AUDIT_CURSOR = /^\d{1,19}$/;
export const AUDIT_CURSOR_MESSAGE = 'cursor is invalid: pass back the nextCursor of the previous page unchanged';

export class AuditEntryDto {
  @ApiProperty({ example: '1042' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({
    example: 'ops',
    description: "The admin key's name (`name:key` in ADMIN_API_KEYS; `key-<fingerprint>` for a bare key).",
  })
  actor: string;

  @ApiProperty({ enum: ['bearer', 'session'], description: 'Authorization header, or browser session cookie.' })
  via: string;

  @ApiProperty({ example: '10.0.3.7' })
  ip: string;

  @ApiProperty({ example: 'events.purge' })
  action: string;

  @ApiProperty({ example: 'DELETE' })
  method: string;

  @ApiProperty({ example: '/admin/events' })
  path: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The path parameters, query and body of the call, as received.',
  })
  params: Record<string, unknown>;

  @ApiProperty({ example: 200, description: 'The HTTP status answered.' })
  status: number;

  @ApiProperty({ type: Number, nullable: true, example: 1520, description: 'Rows the call changed, when counted.' })
  rows: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the call was refused or failed.' })
  error: string | null;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] })
  items: AuditEntryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next (older) page; null on the last.',
  })
  nextCursor: string | null;
}
