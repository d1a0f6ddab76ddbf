import { inboxRowCounts } from '../support/inbox-rows.js';
import { expectErrorShape, request, type RawRequest } from '../support/raw-http.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId } from '../support/test-app.js';

/**
 * Repeated signature failures from one client address are answered 429, per address (read from
 * X-Forwarded-For because the test connects as the trusted proxy), and valid signed requests from
 * that same address keep being accepted.
 */
const SECRET = newSecret();

describe('signature-failure throttle (real service behind a trusted proxy)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        WEBHOOK_SECRET: SECRET,
        SIGNATURE_FAILURE_LIMIT: '3',
        SIGNATURE_FAILURE_WINDOW_SECONDS: '60',
        TRUST_PROXY: '127.0.0.1',
      },
    });
  });
  afterAll(async () => t?.close());

  const body = () => JSON.stringify({ id: uniqueId('thr'), type: 'throttle.test', data: {} });
  const fromClient = (client: string, req: { headers: Record<string, string>; body: string }): RawRequest => ({
    path: '/webhooks',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client, ...req.headers },
    body: req.body,
  });
  const valid = (client: string) => {
    const payload = body();
    return fromClient(client, { headers: signedHeaders(SECRET, payload), body: payload });
  };
  const forged = (client: string) => {
    const payload = body();
    return fromClient(client, { headers: signedHeaders(newSecret(), payload), body: payload });
  };

  it('answers 429 with Retry-After after the limit, per client address, never to valid signed requests', async () => {
    const prober = '198.51.100.10';
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(t.url, forged(prober))).status);
    expect(statuses).toEqual([401, 401, 401]);

    const throttled = await request(t.url, forged(prober));
    expect(throttled.status).toBe(429);
    expectErrorShape(throttled, 429);
    expect(throttled.json.check).toBe('signature_mismatch');
    expect(throttled.json.message).toMatch(/correctly signed requests are still accepted/);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);

    // An unsigned request from that address is throttled too...
    const unsigned = await request(t.url, fromClient(prober, { headers: {}, body: body() }));
    expect(unsigned.status).toBe(429);
    expect(unsigned.json.check).toBe('missing_headers');

    // ...but correctly signed ones from the very same address are accepted and stored.
    const before = (await inboxRowCounts(t.db)).events;
    for (let i = 0; i < 5; i++) {
      const accepted = await request(t.url, valid(prober));
      expect({ status: accepted.status, received: accepted.json?.received }).toEqual({ status: 200, received: true });
    }
    expect((await inboxRowCounts(t.db)).events).toBe(before + 5);

    // Still throttled for forgeries afterwards: a valid request does not buy a forger more attempts.
    expect((await request(t.url, forged(prober))).status).toBe(429);

    // Another client is counted on its own.
    expect((await request(t.url, forged('198.51.100.11'))).status).toBe(401);
  });

  it('takes the client address from X-Forwarded-For because the proxy is trusted (and stores that address)', async () => {
    const client = '192.0.2.44';
    const response = await request(t.url, valid(client));
    expect(response.status).toBe(200);
    const row = await t.db.query(`SELECT headers->>'remote-address' AS address FROM webhook_events WHERE id = $1`, [
      response.json.id,
    ]);
    expect(row.rows[0].address).toBe(client);
  });
});

describe('signature-failure throttle without TRUST_PROXY', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_SECRET: SECRET, SIGNATURE_FAILURE_LIMIT: '2' } });
  });
  afterAll(async () => t?.close());

  it('ignores X-Forwarded-For, so a prober cannot dodge the limit by inventing addresses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const payload = JSON.stringify({ id: uniqueId('spoof'), type: 'throttle.test', data: {} });
      const response = await request(t.url, {
        path: '/webhooks',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `203.0.113.${100 + i}`,
          ...signedHeaders(newSecret(), payload),
        },
        body: payload,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
  });
});
