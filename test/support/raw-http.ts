import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { waitFor } from './wait.js';

/**
 * HTTP below fetch: requests whose every header and byte the test controls, and a request left
 * half-sent. (Calls that fetch can make go through TestApp.post or adminClient.)
 */

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

/**
 * A POST whose headers and first half of the body are sent now, the rest on finish(): a request
 * the service has started and not finished.
 */
export function startSlowPost(url: string, body: string) {
  const target = new URL(url);
  const split = Math.floor(body.length / 2);
  const req = http.request(`${url}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
  });
  const clientPort = new Promise<number>((resolve) =>
    req.once('socket', (socket) => socket.once('connect', () => resolve(socket.localPort!))),
  );
  const firstHalfSent = new Promise<void>((resolve, reject) =>
    req.write(body.slice(0, split), (error) => (error ? reject(error) : resolve())),
  );
  return {
    answer,
    /**
     * Resolves once the service has read everything sent so far (the headers and the first half of
     * the body): its HTTP server has taken the request in, and waits for the rest.
     */
    async started(): Promise<void> {
      await firstHalfSent;
      const port = await clientPort;
      await waitFor(
        () => unreadBytes(Number(target.port), port) === 0,
        10_000,
        'the service to read the start of the request',
      );
    },
    finish: () => req.end(body.slice(split)),
  };
}

/**
 * Bytes that arrived on the server side of the loopback TCP connection between `serverPort` and
 * `clientPort` and that the server process has not read yet, from the kernel's socket table
 * (/proc/net/tcp, Linux); undefined while there is no such connection.
 */
function unreadBytes(serverPort: number, clientPort: number): number | undefined {
  const port = (address: string) => parseInt(address.split(':')[1], 16);
  for (const line of readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue ...
    const [, local, remote, , queues] = line.trim().split(/\s+/);
    if (port(local) === serverPort && port(remote) === clientPort) return parseInt(queues.split(':')[1], 16);
  }
  return undefined;
}
