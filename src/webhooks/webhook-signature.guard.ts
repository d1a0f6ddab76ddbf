import { CanActivate, ExecutionContext, Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import {
  parseWebhookSecrets,
  StandardWebhooksVerifier,
  WebhookSignatureError,
} from './signature/standard-webhooks.verifier.js';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Standard Webhooks signature check over the exact bytes received (req.rawBody), before anything
 * is parsed or stored. Without configured secrets (development only; production refuses to start)
 * requests pass, with a warning on each.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger('WebhookSignature');
  private readonly verifier?: StandardWebhooksVerifier;

  constructor(@Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions) {
    const keys = parseWebhookSecrets((options.signing?.secrets ?? []).join(' '));
    if (keys.length > 0) this.verifier = new StandardWebhooksVerifier(keys, options.signing?.toleranceSeconds);
  }

  get enabled(): boolean {
    return this.verifier !== undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    if (!this.verifier) {
      this.logger.warn(`UNSIGNED webhook accepted from ${request.ip}: set WEBHOOK_SECRET to verify signatures`);
      return true;
    }
    try {
      this.verifier.verify(request.rawBody ?? Buffer.alloc(0), {
        id: header(request, 'webhook-id'),
        timestamp: header(request, 'webhook-timestamp'),
        signature: header(request, 'webhook-signature'),
      });
      return true;
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: error.message,
        check: error.check,
      });
    }
  }
}
