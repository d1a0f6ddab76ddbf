import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type pg from 'pg';
import { Webhook } from 'standardwebhooks';

/** A fresh `whsec_` secret, as a provider's dashboard shows it. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export interface SignOptions {
  id?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/**
 * The three Standard Webhooks headers for `body`, signed by the reference `standardwebhooks`
 * package (the library providers use), not by our own code.
 */
export function signedHeaders(secret: string, body: string, options: SignOptions = {}): Record<string, string> {
  const id = options.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = new Webhook(secret).sign(id, new Date(timestamp * 1000), body);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The JSON body, or undefined when it is not JSON. */
  json: any;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in chunks without a Content-Length. */
  chunked?: boolean;
  /** For https URLs: the CA to trust (a self-signed certificate). */
  ca?: Buffer;
}

/**
 * One request with exactly the headers given (fetch adds or forbids some, e.g. Content-Type for
 * string bodies, Content-Length), so the table of bad requests controls every byte's meaning.
 */
export function request(baseUrl: string, options: RawRequest): Promise<RawResponse> {
  const base = new URL(baseUrl);
  const transport = base.protocol === 'https:' ? https : http;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (
    body !== undefined &&
    !options.chunked &&
    !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')
  ) {
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = transport.request(
      {
        hostname: base.hostname,
        port: base.port,
        // As given: not normalised by URL parsing, so odd paths ("//admin", "/%61dmin") reach the server.
        path: options.path,
        method: options.method ?? 'POST',
        headers,
        ca: options.ca,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'POST'} ${options.path} timed out`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the whole body is written: keep its answer.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    if (body !== undefined && options.chunked) {
      for (let at = 0; at < body.length; at += 1024) req.write(body.subarray(at, at + 1024));
    } else if (body !== undefined) {
      req.write(body);
    }
    req.end();
  });
}

/** Row counts of every table a webhook can create rows in. */
export async function inboxRowCounts(db: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM webhook_events)::int            AS events,
           (SELECT count(*) FROM webhook_deliveries)::int        AS deliveries,
           (SELECT count(*) FROM webhook_delivery_attempts)::int AS attempts`);
  return rows[0];
}

/** The error shape every refusal must have: {statusCode, error, message}, no stack trace. */
export function expectErrorShape(response: RawResponse, status: number): void {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.json).toEqual(
    expect.objectContaining({
      statusCode: status,
      error: expect.any(String),
      message: expect.anything(),
    }),
  );
  const { message } = response.json;
  expect(
    typeof message === 'string' || (Array.isArray(message) && message.every((m: unknown) => typeof m === 'string')),
  ).toBe(true);
  expect(response.json).not.toHaveProperty('stack');
  expect(response.text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}
