/**
 * Standard Webhooks (https://www.standardwebhooks.com) signature verification.
 *
 * Headers:
 *   webhook-id         message id
 *   webhook-timestamp  unix seconds
 *   webhook-signature  space-separated `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{raw body}")>` entries
 *
 * Secrets are `whsec_` + base64(key bytes); a bare base64 string is accepted too.
 *
 * Pure and dependency-free (node:crypto only). Error messages never contain a secret,
 * the expected signature, or any header value received.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export type SignatureCheck =
  | 'missing_headers'
  | 'timestamp_invalid'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'signature_malformed'
  | 'signature_mismatch';

export class WebhookSignatureError extends Error {
  readonly check: SignatureCheck;

  constructor(check: SignatureCheck, message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.check = check;
  }
}

export interface SignatureHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

const SECRET_PREFIX = 'whsec_';
/** Standard base64 alphabet, padding optional (but when present the length must be a multiple of 4). */
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
/** A v1 signature: base64 of a 32-byte HMAC-SHA256 digest is always 43 chars + one '='. */
const V1_SIGNATURE_RE = /^[A-Za-z0-9+/]{43}=$/;
const TIMESTAMP_RE = /^-?[0-9]+$/;
/** At most this many entries of the webhook-signature header are looked at (bounds work per request). */
export const MAX_SIGNATURE_ENTRIES = 10;
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Decodes one secret; returns an error reason (never containing the secret) instead of throwing. */
function decodeSecret(secret: string): Buffer | string {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length === 0) return 'is empty';
  if (!BASE64_RE.test(encoded)) return 'is not valid base64 (expected "whsec_" followed by standard base64)';
  const padded = encoded.endsWith('=');
  if ((padded && encoded.length % 4 !== 0) || (!padded && encoded.length % 4 === 1)) {
    return 'is not valid base64 (bad length or padding)';
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) return 'decodes to an empty key';
  return key;
}

/**
 * Parses WEBHOOK_SECRET: one or more whitespace-separated secrets (key rotation).
 * Empty/blank/undefined -> []. Throws an Error naming the invalid entry by position only.
 */
export function parseWebhookSecrets(value: string | undefined): Buffer[] {
  if (value === undefined) return [];
  const trimmed = value.trim();
  if (trimmed === '') return [];
  const entries = trimmed.split(/\s+/);
  return entries.map((entry, index) => {
    const result = decodeSecret(entry);
    if (typeof result === 'string') {
      throw new Error(
        `WEBHOOK_SECRET entry #${index + 1} of ${entries.length} ${result}; ` +
          'each secret must be "whsec_" followed by the base64-encoded key',
      );
    }
    return result;
  });
}

function missingHeaders(headers: SignatureHeaders): string[] {
  const missing: string[] = [];
  if (!headers.id) missing.push('webhook-id');
  if (!headers.timestamp) missing.push('webhook-timestamp');
  if (!headers.signature) missing.push('webhook-signature');
  return missing;
}

/**
 * Collects the decoded v1 signatures among the first MAX_SIGNATURE_ENTRIES entries of the header.
 * Entries of other versions (e.g. `v1a,...`) and undecodable v1 entries are skipped.
 */
function decodeV1Signatures(header: string): Buffer[] {
  const candidates: Buffer[] = [];
  let entries = 0;
  let start = 0;
  const length = header.length;
  while (start < length && entries < MAX_SIGNATURE_ENTRIES) {
    let end = header.indexOf(' ', start);
    if (end === -1) end = length;
    if (end > start) {
      entries++;
      // "v1," is 3 chars; the signature itself is exactly 44.
      if (end - start === 47 && header.startsWith('v1,', start)) {
        const encoded = header.slice(start + 3, end);
        if (V1_SIGNATURE_RE.test(encoded)) candidates.push(Buffer.from(encoded, 'base64'));
      }
    }
    start = end + 1;
  }
  return candidates;
}

export class StandardWebhooksVerifier {
  private readonly keys: readonly KeyObject[];
  private readonly toleranceSeconds: number;

  constructor(keys: Buffer[], toleranceSeconds = DEFAULT_TOLERANCE_SECONDS) {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new Error('StandardWebhooksVerifier needs at least one key');
    }
    keys.forEach((key, index) => {
      if (!Buffer.isBuffer(key) || key.length === 0) {
        throw new Error(`StandardWebhooksVerifier key #${index + 1} must be a non-empty Buffer`);
      }
    });
    if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
      throw new Error('StandardWebhooksVerifier toleranceSeconds must be a finite number >= 0');
    }
    // KeyObjects copy the bytes, so later mutation of the caller's buffers has no effect.
    this.keys = keys.map((key) => createSecretKey(key));
    this.toleranceSeconds = toleranceSeconds;
  }

  /** Throws WebhookSignatureError; returns when at least one v1 signature matches any key. */
  verify(rawBody: Buffer, headers: SignatureHeaders, nowSeconds: number = Math.floor(Date.now() / 1000)): void {
    const missing = missingHeaders(headers);
    if (missing.length > 0) {
      throw new WebhookSignatureError('missing_headers', `Missing webhook header(s): ${missing.join(', ')}`);
    }
    const id = headers.id as string;
    const timestampHeader = headers.timestamp as string;
    const signatureHeader = headers.signature as string;

    if (!TIMESTAMP_RE.test(timestampHeader)) {
      throw new WebhookSignatureError(
        'timestamp_invalid',
        'webhook-timestamp must be an integer number of unix seconds',
      );
    }
    const timestamp = Number(timestampHeader);
    if (timestamp < nowSeconds - this.toleranceSeconds) {
      throw new WebhookSignatureError(
        'timestamp_too_old',
        `webhook-timestamp is more than ${this.toleranceSeconds}s in the past`,
      );
    }
    if (timestamp > nowSeconds + this.toleranceSeconds) {
      throw new WebhookSignatureError(
        'timestamp_too_new',
        `webhook-timestamp is more than ${this.toleranceSeconds}s in the future`,
      );
    }

    const candidates = decodeV1Signatures(signatureHeader);
    if (candidates.length === 0) {
      throw new WebhookSignatureError(
        'signature_malformed',
        `webhook-signature has no decodable "v1,<base64>" entry among its first ${MAX_SIGNATURE_ENTRIES}`,
      );
    }

    // The signed content is the header values exactly as received, then the raw body bytes.
    const prefix = `${id}.${timestampHeader}.`;
    for (const key of this.keys) {
      const expected = createHmac('sha256', key).update(prefix).update(rawBody).digest();
      for (const candidate of candidates) {
        if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return;
      }
    }
    throw new WebhookSignatureError(
      'signature_mismatch',
      'No webhook-signature entry matches the configured secret(s)',
    );
  }
}

/** Returns the header value `v1,<base64>` for one secret string ("whsec_..." or bare base64). */
export function signWebhook(secret: string, id: string, timestampSeconds: number, rawBody: Buffer | string): string {
  const key = decodeSecret(secret);
  if (typeof key === 'string') throw new Error(`Webhook secret ${key}`);
  if (!Number.isSafeInteger(timestampSeconds)) {
    throw new Error('timestampSeconds must be an integer number of unix seconds');
  }
  const digest = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(rawBody).digest();
  return `v1,${digest.toString('base64')}`;
}
