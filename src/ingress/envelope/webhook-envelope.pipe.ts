import { Injectable, PipeTransform } from '@nestjs/common';
import { RefusedContentException } from '../refused-content.exception.js';
import { parseEnvelope, type WebhookEnvelope } from './webhook-envelope.js';

/** 400 for a body that is not an envelope; `message` lists every problem. */
export class InvalidEnvelopeException extends RefusedContentException {
  constructor(errors: string[]) {
    super('invalid_envelope', errors);
  }
}

/** Validates the parsed JSON body as a WebhookEnvelope, or refuses it naming each field. */
@Injectable()
export class WebhookEnvelopePipe implements PipeTransform<unknown, WebhookEnvelope> {
  transform(body: unknown): WebhookEnvelope {
    const parsed = parseEnvelope(body);
    if (!parsed.ok) throw new InvalidEnvelopeException(parsed.errors);
    return parsed.envelope;
  }
}
