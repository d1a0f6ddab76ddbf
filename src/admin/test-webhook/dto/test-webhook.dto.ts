import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { EVENT_TYPE_CHARACTERS, EVENT_TYPE_PATTERN, MAX_TYPE_LENGTH } from '../../../shared/event-type.js';
import { SOURCE_NAME } from '../../../shared/sources/webhook-source.js';

export class SendTestWebhookDto {
  @ApiPropertyOptional({ example: 'subscription_user_create', default: 'webhook_inbox.test' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TYPE_LENGTH)
  @Matches(EVENT_TYPE_PATTERN, { message: `type must contain ${EVENT_TYPE_CHARACTERS}` })
  type?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { hello: 'world' }, default: {} })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'stripe',
    description:
      "Send as that source's sender would (WEBHOOK_SOURCES): to /webhooks/<source>, laid out and signed by its scheme. " +
      'Default: the default source, POST /webhooks.',
  })
  @IsOptional()
  @IsString()
  @Matches(SOURCE_NAME, { message: 'source must be a source name (a-z, 0-9, "-")' })
  source?: string;
}

export class TestWebhookResultDto {
  @ApiProperty({
    example: 'http://127.0.0.1:3000/webhooks',
    description: 'Where it was sent (PUBLIC_URL, else this process).',
  })
  url: string;

  @ApiProperty({ example: 'msg_evt_test_0d1f…' })
  webhookId: string;

  @ApiProperty({ example: 'evt_test_0d1f…', description: 'The envelope id (the de-duplication key).' })
  externalId: string;

  @ApiProperty({ description: 'False when no WEBHOOK_SECRET is configured (development only).' })
  signed: boolean;

  @ApiProperty({ example: 200, description: 'The HTTP status the service answered; 0 when nothing answered.' })
  status: number;

  @ApiProperty({ description: 'True when the service acknowledged (2xx): the event is committed.' })
  accepted: boolean;

  @ApiProperty({
    example: { received: true, id: '6f1c2d1e-…', duplicate: false },
    description: 'The answer body, or the network error.',
  })
  response: unknown;

  @ApiProperty({ example: 12 })
  durationMs: number;

  @ApiProperty({ nullable: true, type: String, format: 'uuid' })
  eventId: string | null;

  @ApiProperty({ nullable: true, type: String, example: '/admin/events/6f1c2d1e-…' })
  eventUrl: string | null;

  @ApiProperty({ example: 'search the logs for "eventId":"6f1c2d1e-…"' })
  logs: string;
}
