import { createHmac } from 'node:crypto';
import { signWebhook } from '../signature/standard-webhooks.verifier.js';
import type { FieldRule, WebhookSource } from './webhook-source.js';

export interface SourceTestEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface SignedRequest {
  body: Buffer;
  headers: Record<string, string>;
}

function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (node[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {}) as Record<
      string,
      unknown
    >;
  }
  node[keys[keys.length - 1]] = value;
}

/** Puts `value` where the first of `rules` reads it: a header, or a path of the body. */
function place(rules: FieldRule[], value: string, body: Record<string, unknown>, headers: Record<string, string>) {
  const [rule] = rules;
  if (rule.from === 'header') headers[rule.path] = value;
  else setAt(body, rule.path, value);
}

/**
 * A request as the source's sender would make it for this event: the body and headers laid out
 * where the source's preset reads type, identity and data, signed with its first secret by its
 * scheme. For the test webhook and `npm run webhook:send --source`.
 */
export function sourceRequest(source: WebhookSource, event: SourceTestEvent, nowSeconds: number): SignedRequest {
  const headers: Record<string, string> = {};
  const payload: Record<string, unknown> = {};
  if (source.data === 'body') Object.assign(payload, event.data);
  else setAt(payload, source.data, event.data);
  place(source.type, event.type, payload, headers);
  place(source.id, event.id, payload, headers);
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return { body, headers: { ...headers, ...signatureHeaders(source, body, event.id, nowSeconds) } };
}

function signatureHeaders(source: WebhookSource, body: Buffer, id: string, now: number): Record<string, string> {
  const [secret] = source.secrets;
  switch (source.verifier) {
    case 'none':
      return {};
    case 'basic':
      return { authorization: `Basic ${Buffer.from(secret, 'utf8').toString('base64')}` };
    case 'standard-webhooks': {
      const webhookId = `msg_${id}`;
      return {
        'webhook-id': webhookId,
        'webhook-timestamp': String(now),
        'webhook-signature': signWebhook(secret, webhookId, now, body),
      };
    }
    case 'stripe': {
      const v1 = createHmac('sha256', secret).update(`${now}.`).update(body).digest('hex');
      return { 'stripe-signature': `t=${now},v1=${v1}` };
    }
    default: {
      const scheme = source.hmac!;
      const before = scheme.signed.slice(0, scheme.signed.length - '{body}'.length).replace('{timestamp}', String(now));
      const digest = createHmac(scheme.algorithm, secret).update(before).update(body).digest(scheme.encoding);
      return {
        [scheme.header]: `${scheme.prefix ?? ''}${digest}`,
        ...(scheme.timestampHeader ? { [scheme.timestampHeader]: String(now) } : {}),
      };
    }
  }
}
