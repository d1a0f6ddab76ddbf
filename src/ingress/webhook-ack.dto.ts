import { ApiProperty } from '@nestjs/swagger';

/** The answer to the provider: sent only once the event is committed. */
export class WebhookAckDto {
  @ApiProperty({ example: true })
  received: true;

  @ApiProperty({ format: 'uuid', description: "The inbox's id for the event (the original's, for a duplicate)." })
  id: string;

  @ApiProperty({ description: 'True when this event was already stored; nothing new was stored or run.' })
  duplicate: boolean;
}
