import { EventEmitter2 } from '@nestjs/event-emitter';
import { jest } from '@jest/globals';
import { HttpException, Logger, type ExecutionContext } from '@nestjs/common';
import { resolveInboxOptions } from '../inbox/webhook-inbox.options.js';
import { signWebhook } from '../shared/signature/standard-webhooks.verifier.js';
import { WebhookSources } from './sources/webhook-sources.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface FakeRequest {
  ip: string;
  rawBody: Buffer;
  headers: Record<string, string>;
}

function context(request: FakeRequest) {
  const headers: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => (headers[name] = value) };
  const ctx = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { ctx, headers };
}

const signedRequest = (ip: string, body = '{"type":"a","data":{}}'): FakeRequest => {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    ip,
    rawBody: Buffer.from(body),
    headers: {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(SECRET, 'msg_1', timestamp, body),
    },
  };
};
const badRequest = (ip: string): FakeRequest => ({ ...signedRequest(ip), rawBody: Buffer.from('{"tampered":true}') });

/** The status the guard answers with: 200 when it lets the request through. */
function outcome(
  guard: WebhookSignatureGuard,
  request: FakeRequest,
): { status: number; body?: any; headers: Record<string, string> } {
  const { ctx, headers } = context(request);
  try {
    expect(guard.canActivate(ctx)).toBe(true);
    return { status: 200, headers };
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), body: error.getResponse(), headers };
  }
}

describe('WebhookSignatureGuard', () => {
  const options = resolveInboxOptions({
    redisUrl: 'redis://unused',
    signing: { secrets: [SECRET], failureLimit: 2, failureWindowSeconds: 30 },
  });

  afterEach(() => jest.restoreAllMocks());

  it('lets a correctly signed request through and refuses a tampered one with 401 naming the check', () => {
    const guard = new WebhookSignatureGuard(options, new WebhookSources(options), new EventEmitter2());
    expect(outcome(guard, signedRequest('203.0.113.1')).status).toBe(200);
    expect(outcome(guard, badRequest('203.0.113.1'))).toMatchObject({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', check: 'signature_mismatch' },
    });
  });

  it('answers 429 with Retry-After once an address passes the failure limit, and still accepts its valid requests', () => {
    const guard = new WebhookSignatureGuard(options, new WebhookSources(options), new EventEmitter2());
    expect([1, 2].map(() => outcome(guard, badRequest('203.0.113.2')).status)).toEqual([401, 401]);
    const throttled = outcome(guard, badRequest('203.0.113.2'));
    expect(throttled).toMatchObject({
      status: 429,
      body: { statusCode: 429, error: 'Too Many Requests', check: 'signature_mismatch' },
    });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(29);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(30);
    // Valid traffic from the same address is never throttled.
    expect(outcome(guard, signedRequest('203.0.113.2')).status).toBe(200);
    expect(outcome(guard, badRequest('203.0.113.2')).status).toBe(429);
    // Other addresses are not affected.
    expect(outcome(guard, badRequest('203.0.113.3')).status).toBe(401);
  });

  it('uses the defaults (10 failures per 60 s) when the module options leave them out', () => {
    const defaults = resolveInboxOptions({ redisUrl: 'redis://unused', signing: { secrets: [SECRET] } });
    const guard = new WebhookSignatureGuard(defaults, new WebhookSources(defaults), new EventEmitter2());
    const statuses = Array.from({ length: 11 }, () => outcome(guard, badRequest('203.0.113.9')).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });

  it('without a secret lets everything through and warns on each request', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unsigned = resolveInboxOptions({ redisUrl: 'redis://unused' });
    const guard = new WebhookSignatureGuard(unsigned, new WebhookSources(unsigned), new EventEmitter2());
    expect(guard.enabled).toBe(false);
    expect(outcome(guard, badRequest('203.0.113.4')).status).toBe(200);
    expect(outcome(guard, badRequest('203.0.113.4')).status).toBe(200);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0][0]).toMatch(/UNSIGNED webhook accepted from 203\.0\.113\.4/);
  });
});
