import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { signWebhook } from '../../shared/signature/standard-webhooks.verifier.js';
import { sourceRequest } from '../../shared/sources/source-request.js';
import type { WebhookSource } from '../../shared/sources/webhook-source.js';

export interface TestEnvelope {
  id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: string;
  [extra: string]: unknown;
}

export interface SendOptions {
  url: string;
  /** The request to send, as `envelopeRequest` or `sourceRequest` made it. */
  request: OutgoingWebhook;
  timeoutMs?: number;
  /** Accept a self-signed certificate: only for the service's own address. */
  insecureTls?: boolean;
}

export interface OutgoingWebhook {
  body: Buffer;
  /** The sender's own headers: its signature, ids, timestamps. */
  headers: Record<string, string>;
  /** What the logs and the answer call it (the webhook-id, or the event's id). */
  webhookId: string;
  signed: boolean;
}

export interface SendResult {
  url: string;
  webhookId: string;
  signed: boolean;
  status: number;
  body: unknown;
  durationMs: number;
}

/** An envelope like the provider's, with an id that says it is a test. */
export function testEnvelope(
  type: string,
  data: Record<string, unknown>,
  id = `evt_test_${randomUUID()}`,
): TestEnvelope {
  return { id, type, data, created_at: new Date().toISOString() };
}

/**
 * The default source's request, as the provider makes it: the exact bytes signed with the Standard
 * Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature) with one whsec_ secret;
 * unsigned without one (accepted only where no secret is configured).
 */
export function envelopeRequest(envelope: TestEnvelope, secret?: string): OutgoingWebhook {
  const body = Buffer.from(JSON.stringify(envelope), 'utf8');
  const webhookId = `msg_${envelope.id}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp) };
  if (secret) headers['webhook-signature'] = signWebhook(secret, webhookId, timestamp, body);
  return { body, headers, webhookId, signed: Boolean(secret) };
}

/** A configured source's request for the envelope's event, as that source's sender would make it. */
export function sourceTestRequest(source: WebhookSource, envelope: TestEnvelope): OutgoingWebhook {
  const signed = sourceRequest(source, envelope, Math.floor(Date.now() / 1000));
  return { ...signed, webhookId: envelope.id, signed: source.verifier !== 'none' };
}

/** Posts the request over the network, as its sender would. */
export function sendWebhook(options: SendOptions): Promise<SendResult> {
  const { body, webhookId, signed } = options.request;
  const headers: Record<string, string> = {
    ...options.request.headers,
    'content-type': 'application/json',
    'content-length': String(body.length),
    'user-agent': 'webhook-inbox-test-sender/1.0',
  };

  const url = new URL(options.url);
  const client = url.protocol === 'https:' ? https : http;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers,
        timeout: options.timeoutMs ?? 10_000,
        ...(url.protocol === 'https:' && options.insecureTls ? { rejectUnauthorized: false } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON: keep the text */
          }
          resolve({
            url: url.toString(),
            webhookId,
            signed,
            status: response.statusCode ?? 0,
            body: parsed,
            durationMs: Math.round(performance.now() - started),
          });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 10_000} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The URL webhooks are posted to, from a base URL (`https://hooks.example.com` → `…/webhooks`, or
 * `…/webhooks/<source>` for another source) or a full one.
 */
export function webhookUrl(base: string, source?: string): string {
  const url = new URL(base);
  if (url.pathname === '' || url.pathname === '/') url.pathname = source ? `/webhooks/${source}` : '/webhooks';
  return url.toString();
}

/** The secret new signatures are made with: the first of WEBHOOK_SECRET's space-separated list. */
export function signingSecret(secrets: string | undefined): string | undefined {
  return secrets?.trim().split(/\s+/).filter(Boolean)[0];
}
