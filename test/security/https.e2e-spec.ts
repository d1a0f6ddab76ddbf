import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId } from '../support/test-app.js';
import { storedPayload } from '../support/inbox-rows.js';
import { request } from '../support/raw-http.js';
import { newSecret, signedHeaders } from '../support/signing.js';

/** TLS_CERT_FILE + TLS_KEY_FILE: the service itself serves HTTPS with that certificate. */
const SECRET = newSecret();

describe('HTTPS served by the service (self-signed certificate made by openssl)', () => {
  let dir: string;
  let cert: Buffer;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webhook-inbox-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe', timeout: 20_000 },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    t = await startTestApp({
      env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem'), WEBHOOK_SECRET: SECRET },
    });
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a signed webhook over HTTPS, presenting the configured certificate', async () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = JSON.stringify({ id: uniqueId('tls'), type: 'tls.test', data: { over: 'https' } });
    const response = await request(t.url, {
      path: '/webhooks',
      headers: { 'content-type': 'application/json', ...signedHeaders(SECRET, body) },
      body,
      ca: cert, // trust exactly this certificate: the connection is really verified
    });
    expect(response.status).toBe(200);
    expect(await storedPayload(t.db, response.json.id)).toEqual(JSON.parse(body));

    const presented = await new Promise<string>((resolve, reject) => {
      const req = https.get(`${t.url}/docs-json`, { ca: cert, agent: false }, (res) => {
        resolve((res.socket as import('node:tls').TLSSocket).getPeerX509Certificate()!.fingerprint256);
        res.resume();
      });
      req.on('error', reject);
    });
    expect(presented).toBe(new X509Certificate(cert).fingerprint256);
  });

  it('speaks only TLS on that port, and a client that does not trust the certificate is refused', async () => {
    await expect(
      fetch(`${t.url.replace('https:', 'http:')}/webhooks`, { method: 'POST', body: '{}' }),
    ).rejects.toThrow();
    await expect(
      new Promise((resolve, reject) => https.get(`${t.url}/docs-json`, { agent: false }, resolve).on('error', reject)),
    ).rejects.toThrow(/self.signed|certificate/i);
  });
});
