import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookSignatureError } from './standard-webhooks.verifier.js';
import { requireHeaders, type WebhookVerifier } from './webhook-verifier.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * HTTP Basic credentials for senders that sign nothing but let you put `user:password@` in the
 * URL. Weaker than a signature (the body is not covered): use it over HTTPS only. Pairs are kept
 * as digests and compared in constant time.
 */
export class BasicAuthVerifier implements WebhookVerifier {
  private readonly pairs: Buffer[];

  constructor(pairs: readonly string[]) {
    if (pairs.length === 0 || pairs.some((pair) => !/^[^:]+:.+$/.test(pair))) {
      throw new Error('BasicAuthVerifier needs one or more "user:password" pairs');
    }
    this.pairs = pairs.map(digest);
  }

  verify(_rawBody: Buffer, headers: IncomingHttpHeaders): void {
    const [authorization] = requireHeaders(headers, ['authorization']);
    const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
    if (!match) throw new WebhookSignatureError('signature_malformed', 'Authorization must be "Basic <base64>"');
    const given = digest(Buffer.from(match[1], 'base64').toString('utf8'));
    let matched = false;
    for (const pair of this.pairs) matched = timingSafeEqual(given, pair) || matched;
    if (!matched) throw new WebhookSignatureError('signature_mismatch', 'The Basic credentials are not configured');
  }
}
