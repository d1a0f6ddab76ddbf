import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookSignatureError } from './standard-webhooks.verifier.js';
import { checkTimestamp, nowInSeconds, requireHeaders, type WebhookVerifier } from './webhook-verifier.js';

export const HMAC_ALGORITHMS = ['sha256', 'sha512', 'sha1'] as const;
export const HMAC_ENCODINGS = ['hex', 'base64', 'base64url'] as const;

/**
 * An HMAC scheme as providers document it: which header carries the signature, how it is
 * computed and encoded, and what is signed. `signed` is a template over `{body}` (the raw bytes)
 * and `{timestamp}` (the value of `timestampHeader`), e.g. `{body}`, `{timestamp}.{body}` or
 * `v0:{timestamp}:{body}`.
 */
export interface HmacScheme {
  header: string;
  algorithm: (typeof HMAC_ALGORITHMS)[number];
  encoding: (typeof HMAC_ENCODINGS)[number];
  /** Text before the signature in the header, e.g. `sha256=` or `v0=`. */
  prefix?: string;
  signed: string;
  /** Required when `signed` uses `{timestamp}`. */
  timestampHeader?: string;
  toleranceSeconds?: number;
}

const BODY = '{body}';
const TIMESTAMP = '{timestamp}';

/** Why a scheme cannot work, or undefined: checked at start, so a typo never reaches a request. */
export function hmacSchemeProblem(scheme: HmacScheme): string | undefined {
  const bodies = scheme.signed.split(BODY).length - 1;
  if (bodies !== 1) return `the signed template must contain {body} exactly once (got "${scheme.signed}")`;
  if (!scheme.signed.endsWith(BODY)) return 'the signed template must end with {body}';
  const usesTimestamp = scheme.signed.includes(TIMESTAMP);
  if (usesTimestamp && !scheme.timestampHeader) return 'a template with {timestamp} needs a timestamp header';
  if (!usesTimestamp && scheme.timestampHeader) return 'a timestamp header needs {timestamp} in the signed template';
  const leftover = scheme.signed.replace(BODY, '').replace(TIMESTAMP, '');
  if (/[{}]/.test(leftover)) return `the signed template may only use {body} and {timestamp} (got "${scheme.signed}")`;
  return undefined;
}

/**
 * Verifies `<prefix><encoded HMAC(secret, signed)>` in one header, with any of several secrets
 * (rotation). Secrets are used as given (the providers' own libraries do the same).
 */
export class HmacVerifier implements WebhookVerifier {
  private readonly keys: KeyObject[];
  private readonly headers: string[];

  constructor(
    private readonly scheme: HmacScheme,
    secrets: readonly string[],
  ) {
    const problem = hmacSchemeProblem(scheme);
    if (problem) throw new Error(problem);
    if (secrets.length === 0 || secrets.some((secret) => secret.length === 0)) {
      throw new Error('HmacVerifier needs one or more non-empty secrets');
    }
    this.keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
    this.headers = [scheme.header, ...(scheme.timestampHeader ? [scheme.timestampHeader] : [])];
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, nowSeconds = nowInSeconds()): void {
    const [signatureHeader, timestamp] = requireHeaders(headers, this.headers);
    const { prefix = '', signed, toleranceSeconds = 300, encoding } = this.scheme;
    if (timestamp !== undefined) checkTimestamp(timestamp, toleranceSeconds, nowSeconds, this.scheme.timestampHeader!);
    if (!signatureHeader.startsWith(prefix)) {
      throw new WebhookSignatureError('signature_malformed', `${this.scheme.header} must start with "${prefix}"`);
    }
    const given = decode(signatureHeader.slice(prefix.length), encoding);
    if (!given) {
      throw new WebhookSignatureError('signature_malformed', `${this.scheme.header} is not a ${encoding} signature`);
    }
    const before = signed.slice(0, signed.length - BODY.length).replace(TIMESTAMP, timestamp ?? '');
    for (const key of this.keys) {
      const expected = createHmac(this.scheme.algorithm, key).update(before).update(rawBody).digest();
      if (given.length === expected.length && timingSafeEqual(given, expected)) return;
    }
    throw new WebhookSignatureError(
      'signature_mismatch',
      `${this.scheme.header} does not match the configured secret(s)`,
    );
  }
}

const PATTERNS = { hex: /^[0-9a-fA-F]+$/, base64: /^[A-Za-z0-9+/]+={0,2}$/, base64url: /^[A-Za-z0-9_-]+$/ };

function decode(text: string, encoding: HmacScheme['encoding']): Buffer | undefined {
  if (text.length === 0 || text.length > 256 || !PATTERNS[encoding].test(text)) return undefined;
  if (encoding === 'hex' && text.length % 2 !== 0) return undefined;
  return Buffer.from(text, encoding);
}
