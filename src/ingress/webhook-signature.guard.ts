import {
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FailureThrottle } from '../shared/failure-throttle.js';
import { InboxEvents, type SignatureRefusedEvent } from '../inbox/inbox-events.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';
import { StandardWebhooksVerifier, WebhookSignatureError } from '../shared/signature/standard-webhooks.verifier.js';
import { rawBodyOf } from './body/raw-json-body.js';
import { WebhookSources } from './sources/webhook-sources.js';
import { DEFAULT_SOURCE } from '../shared/sources/webhook-source.js';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Standard Webhooks signature check over the exact bytes received, before anything is parsed or
 * stored: the webhook route's JSON body is left unparsed (RawJsonBody) until this guard passed. Without configured secrets (development only; production refuses to start)
 * requests pass, with a warning on each.
 *
 * Repeated failures from one address are answered 429 (with Retry-After) instead of 401. The
 * signature is still checked first, so a correctly signed request is accepted whatever its
 * address did before: a sender sharing an address with a prober (or a proxy when TRUST_PROXY is
 * not set) is never locked out.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger('WebhookSignature');
  private readonly verifier?: StandardWebhooksVerifier;
  private readonly throttle: FailureThrottle;

  constructor(
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
    private readonly sources: WebhookSources,
    private readonly lifecycle: EventEmitter2,
  ) {
    const { keys, toleranceSeconds, failureLimit, failureWindowSeconds } = options.signing;
    if (keys.length > 0) this.verifier = new StandardWebhooksVerifier(keys, toleranceSeconds);
    this.throttle = new FailureThrottle({ limit: failureLimit, windowMs: failureWindowSeconds * 1000 });
  }

  get enabled(): boolean {
    return this.verifier !== undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    const sourceName = (request.params as { source?: string } | undefined)?.source;
    try {
      if (sourceName !== undefined) return this.verifySource(request, sourceName);
      if (!this.verifier) {
        this.logger.warn(`UNSIGNED webhook accepted from ${request.ip}: set WEBHOOK_SECRET to verify signatures`);
        return true;
      }
      this.verifier.verify(rawBodyOf(request), {
        id: header(request, 'webhook-id'),
        timestamp: header(request, 'webhook-timestamp'),
        signature: header(request, 'webhook-signature'),
      });
      return true;
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      this.lifecycle.emit(InboxEvents.signatureRefused, {
        source: sourceName ?? DEFAULT_SOURCE,
        check: error.check,
      } satisfies SignatureRefusedEvent);
      const retryAfter = this.throttle.recordFailure(request.ip);
      if (retryAfter > 0) {
        context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(retryAfter));
        throw new HttpException(
          {
            statusCode: HttpStatus.TOO_MANY_REQUESTS,
            error: 'Too Many Requests',
            message:
              `Too many requests with an invalid signature from this address; retry in ${retryAfter}s ` +
              `(correctly signed requests are still accepted). This one: ${error.message}`,
            check: error.check,
          },
          HttpStatus.TOO_MANY_REQUESTS,
        );
      }
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: error.message,
        check: error.check,
      });
    }
  }

  /** POST /webhooks/<source>: that source's verifier (its `none` allowed only on loopback, checked at start). */
  private verifySource(request: RawBodyRequest<FastifyRequest>, name: string): boolean {
    const { verifier } = this.sources.get(name);
    if (!verifier) {
      this.logger.warn(`UNVERIFIED webhook for source ${name} accepted from ${request.ip} (verifier none)`);
      return true;
    }
    verifier.verify(rawBodyOf(request), request.headers);
    return true;
  }
}
