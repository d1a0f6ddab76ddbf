import { ApiProperty } from '@nestjs/swagger';

export class SourceDto {
  @ApiProperty({ example: 'stripe', description: '`default` is POST /webhooks; the others POST /webhooks/<name>.' })
  name: string;

  @ApiProperty({ example: '/webhooks/stripe' })
  path: string;

  @ApiProperty({
    example: 'stripe',
    description: 'standard-webhooks, stripe, github, shopify, slack, hmac, basic, or none (no verification).',
  })
  verifier: string;

  @ApiProperty({
    example: 1,
    description: 'How many secrets are configured (several during a rotation); never the secrets.',
  })
  secrets: number;

  @ApiProperty({
    example: 'Stripe-Signature',
    nullable: true,
    type: String,
    description: 'The header that carries the proof.',
  })
  signatureHeader: string | null;

  @ApiProperty({
    example: 300,
    nullable: true,
    type: Number,
    description: 'Accepted clock skew, for schemes that sign a timestamp.',
  })
  toleranceSeconds: number | null;

  @ApiProperty({ example: ['body:type'], description: 'Where the event type is read (parts joined by ".").' })
  typeFrom: string[];

  @ApiProperty({
    example: ['body:id'],
    description: 'Where the identity is read (the first present), else the body hash.',
  })
  idFrom: string[];

  @ApiProperty({ example: 'body.data', description: 'What a handler gets as `event.data`.' })
  dataFrom: string;

  @ApiProperty({ example: { processed: 1200, failed: 2 }, description: 'Events stored from this source, by status.' })
  events: Record<string, number>;

  @ApiProperty({ example: ['StripeInvoicePaidHandler'], description: "This source's handlers." })
  handlers: string[];
}
