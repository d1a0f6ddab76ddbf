import { randomUUID } from 'node:crypto';
import { signWebhook } from '../shared/signature/standard-webhooks.verifier.js';
import { sourceRequest } from '../shared/sources/source-request.js';
import { resolveWebhookSource, type WebhookSourceSettings } from '../shared/sources/webhook-source.js';

export interface SignedRequestOptions {
  type: string;
  data: object;
  /** The provider's event id (envelope `id`); default a fresh one. A resend keeps the id. */
  id?: string;
  /** The envelope's `created_at`; default now. */
  createdAt?: string;
  /** The default source's whsec_ secret (WEBHOOK_SECRET). Not used with `source`. */
  secret?: string;
  /**
   * A configured source, as WEBHOOK_SOURCES + SOURCE_<NAME>_* describe it (name, verifier,
   * secrets, ...): the request goes to /webhooks/<name>, laid out and signed as that provider does.
   */
  source?: WebhookSourceSettings;
  /** Unix seconds the signature is made at; default now. */
  timestamp?: number;
}

/** Ready for `fetch(baseUrl + request.url, request)`. */
export interface SignedWebhookRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A webhook as the provider sends it, correctly signed, for end-to-end tests: the default
 * envelope signed with Standard Webhooks (`secret`), or a configured source's own layout and
 * signature scheme (`source`).
 */
export function signedRequest(options: SignedRequestOptions): SignedWebhookRequest {
  const id = options.id ?? `evt_${randomUUID().replaceAll('-', '')}`;
  const now = options.timestamp ?? Math.floor(Date.now() / 1000);
  const data = options.data as Record<string, unknown>;
  if (options.source) {
    const source = resolveWebhookSource(options.source);
    const request = sourceRequest(source, { id, type: options.type, data }, now);
    return {
      method: 'POST',
      url: `/webhooks/${encodeURIComponent(source.name)}`,
      headers: { 'content-type': 'application/json', ...request.headers },
      body: request.body.toString('utf8'),
    };
  }
  if (!options.secret)
    throw new Error("signedRequest: give the default source's `secret` (WEBHOOK_SECRET), or a `source`");
  const body = JSON.stringify({
    id,
    type: options.type,
    created_at: options.createdAt ?? new Date(now * 1000).toISOString(),
    data,
  });
  const webhookId = `msg_${id}`;
  return {
    method: 'POST',
    url: '/webhooks',
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(now),
      'webhook-signature': signWebhook(options.secret, webhookId, now, body),
    },
    body,
  };
}
