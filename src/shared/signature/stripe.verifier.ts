import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookSignatureError } from './standard-webhooks.verifier.js';
import { checkTimestamp, nowInSeconds, requireHeaders, type WebhookVerifier } from './webhook-verifier.js';

const HEADER = 'stripe-signature';
const V1 = /^[0-9a-f]{64}$/;
/** Entries of the header looked at, at most: bounds the work per request. */
const MAX_ENTRIES = 10;

/**
 * Stripe's scheme: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("{t}.{body}")>[,v1=…]`
 * with the endpoint's `whsec_…` secret used as the key as is; any `v1` may match (Stripe sends
 * one per active secret while one is rolled). Other schemes (`v0`) are ignored, as Stripe's
 * library does.
 */
export class StripeVerifier implements WebhookVerifier {
  private readonly keys: KeyObject[];

  constructor(
    secrets: readonly string[],
    private readonly toleranceSeconds = 300,
  ) {
    if (secrets.length === 0 || secrets.some((secret) => secret.length === 0)) {
      throw new Error('StripeVerifier needs one or more non-empty secrets');
    }
    this.keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, nowSeconds = nowInSeconds()): void {
    const [header] = requireHeaders(headers, [HEADER]);
    let timestamp: string | undefined;
    const signatures: Buffer[] = [];
    for (const entry of header.split(',').slice(0, MAX_ENTRIES)) {
      const equals = entry.indexOf('=');
      const [name, value] = [entry.slice(0, equals).trim(), entry.slice(equals + 1).trim()];
      if (name === 't') timestamp = value;
      else if (name === 'v1' && V1.test(value)) signatures.push(Buffer.from(value, 'hex'));
    }
    if (timestamp === undefined) {
      throw new WebhookSignatureError('timestamp_invalid', 'Stripe-Signature has no t=<timestamp> entry');
    }
    checkTimestamp(timestamp, this.toleranceSeconds, nowSeconds, 'Stripe-Signature t');
    if (signatures.length === 0) {
      throw new WebhookSignatureError('signature_malformed', 'Stripe-Signature has no v1=<hex> entry');
    }
    for (const key of this.keys) {
      const expected = createHmac('sha256', key).update(`${timestamp}.`).update(rawBody).digest();
      if (signatures.some((given) => timingSafeEqual(given, expected))) return;
    }
    throw new WebhookSignatureError(
      'signature_mismatch',
      'No Stripe-Signature v1 entry matches the configured secret(s)',
    );
  }
}
