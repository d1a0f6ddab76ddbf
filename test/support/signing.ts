import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook } from '../../src/shared/signature/standard-webhooks.verifier.js';

/** A fresh `whsec_` secret, as a provider's dashboard shows it. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export interface SignOptions {
  /** The webhook-id; default a fresh `msg_…`. A provider's retries keep the id and sign again. */
  id?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/**
 * The three Standard Webhooks headers for `body`, signed by the reference `standardwebhooks`
 * package (the library providers use), not by our own code, when `body` is text.
 */
export function signedHeaders(
  secret: string,
  body: string | Buffer,
  options: SignOptions = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  // The package signs text (as UTF-8); bytes that may not be UTF-8 are signed with the service's
  // own signer, which its unit spec checks against the package.
  const signature =
    typeof body === 'string'
      ? new Webhook(secret).sign(id, new Date(timestamp * 1000), body)
      : signWebhook(secret, id, timestamp, body);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}
