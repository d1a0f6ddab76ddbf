import type { IncomingHttpHeaders } from 'node:http';
import { WebhookSignatureError } from './standard-webhooks.verifier.js';

/**
 * One sender's proof that a request is theirs, checked over the exact bytes received before
 * anything is parsed. Throws WebhookSignatureError (whose message never contains a secret, an
 * expected signature or a header value received); returns when the request is authentic.
 */
export interface WebhookVerifier {
  verify(rawBody: Buffer, headers: IncomingHttpHeaders, nowSeconds?: number): void;
}

/** A header's value when sent once; an absent or repeated header counts as missing. */
export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function requireHeaders(headers: IncomingHttpHeaders, names: readonly string[]): string[] {
  const values = names.map((name) => singleHeader(headers, name));
  const missing = names.filter((_, index) => values[index] === undefined);
  if (missing.length > 0) {
    throw new WebhookSignatureError('missing_headers', `Missing webhook header(s): ${missing.join(', ')}`);
  }
  return values as string[];
}

const TIMESTAMP = /^[0-9]{1,12}$/;

/** Checks a unix-seconds timestamp against the tolerance, both ways; `what` names it in the message. */
export function checkTimestamp(value: string, toleranceSeconds: number, nowSeconds: number, what: string): void {
  if (!TIMESTAMP.test(value)) {
    throw new WebhookSignatureError('timestamp_invalid', `${what} must be an integer number of unix seconds`);
  }
  const timestamp = Number(value);
  if (timestamp < nowSeconds - toleranceSeconds) {
    throw new WebhookSignatureError('timestamp_too_old', `${what} is more than ${toleranceSeconds}s in the past`);
  }
  if (timestamp > nowSeconds + toleranceSeconds) {
    throw new WebhookSignatureError('timestamp_too_new', `${what} is more than ${toleranceSeconds}s in the future`);
  }
}

export const nowInSeconds = () => Math.floor(Date.now() / 1000);
