import pg from 'pg';
import { ADMIN_ENV, ADMIN_KEY, adminClient } from '../support/admin-client.js';
import { inboxRowCounts } from '../support/inbox-rows.js';
import { expectErrorShape, request, type RawRequest } from '../support/raw-http.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, waitFor } from '../support/test-app.js';

/**
 * "Nothing the provider signed is lost": a correctly signed request whose content is refused is
 * answered 400 as before, and its exact bytes, kept headers and reason are stored in the
 * quarantine first (or the answer is 503, so the provider retries). Unsigned and badly signed
 * requests are refused before their body is parsed, and stored nowhere.
 */
const SECRET = newSecret();
const JSON_TYPE = { 'content-type': 'application/json' };
const ACK_TIMEOUT_MS = 1000;

const signed = (body: string | Buffer, secret = SECRET): RawRequest => ({
  path: '/webhooks',
  headers: {
    ...JSON_TYPE,
    'user-agent': 'provider-webhooks/2.1',
    'x-request-id': uniqueId('req'),
    // Never kept: not in the list of kept headers.
    'x-provider-token': 'tok_never_stored',
    ...signedHeaders(secret, body),
  },
  body,
});
const unsigned = (body: string | Buffer): RawRequest => ({ path: '/webhooks', headers: JSON_TYPE, body });

/** Counts the JSON.parse calls (anywhere in this process, the service included) on texts of at least `minLength`. */
function watchJsonParse(minLength: number) {
  const original = JSON.parse;
  let calls = 0;
  JSON.parse = function parse(text: string, reviver?: Parameters<typeof JSON.parse>[1]) {
    if (typeof text === 'string' && text.length >= minLength) calls++;
    return original.call(JSON, text, reviver);
  } as typeof JSON.parse;
  return {
    get calls() {
      return calls;
    },
    restore: () => {
      JSON.parse = original;
    },
  };
}

describe('quarantine: verified requests whose content is refused are kept (real service)', () => {
  let t: TestApp;
  let admin: ReturnType<typeof adminClient>;
  const marker = uniqueId('quarantine');

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        ...ADMIN_ENV,
        WEBHOOK_SECRET: SECRET,
        ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
        SIGNATURE_FAILURE_LIMIT: '100000',
      },
    });
    admin = adminClient(t);
  });
  afterAll(async () => t?.close());

  const quarantined = async () =>
    (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_rejections')).rows[0].n;
  const storedBody = async (id: string): Promise<Buffer> =>
    (await t.db.query('SELECT body FROM webhook_rejections WHERE id = $1', [id])).rows[0]?.body;

  // Written as a provider would send them, byte for byte.
  const protoBody = `{"id":"${marker}_proto","type":"test.ok","data":{"__proto__":{"isAdmin":true},"n":1}}`;
  const nulBody = `{"id":"${marker}_nul","type":"test.ok","data":{"note":"a\\u0000b"}}`;
  const envelopeBody = `{"id":"${marker}_env","type":"test ok","data":[1,2]}`;
  const refused = [
    { body: protoBody, code: 'forbidden_key', says: /"__proto__" key/ },
    { body: nulBody, code: 'unstorable_escape', says: /\\u0000/ },
    { body: envelopeBody, code: 'invalid_envelope', says: /type must contain only.*; data must be a JSON object/ },
  ];
  /** The quarantine ids of `refused`, in the order sent. */
  const ids: string[] = [];

  it('keeps a signed request refused for a __proto__ key, a \\u0000 escape or an invalid envelope, byte for byte; nothing unsigned or badly signed', async () => {
    const eventsBefore = await inboxRowCounts(t.db);
    const before = await quarantined();
    for (const { body } of refused) {
      for (const req of [unsigned(body), signed(body, newSecret())]) {
        const response = await request(t.url, req);
        expect(response.status).toBe(401);
        expectErrorShape(response, 401);
        expect(response.json.check).toMatch(/^(missing_headers|signature_mismatch)$/);
      }
    }
    expect(await quarantined()).toBe(before);

    for (const { body, says } of refused) {
      const response = await request(t.url, signed(body));
      expect(response.status).toBe(400);
      expectErrorShape(response, 400);
      expect([response.json.message].flat().join('; ')).toMatch(says);
    }
    expect(await quarantined()).toBe(before + refused.length);
    expect(await inboxRowCounts(t.db)).toEqual(eventsBefore);

    // Newest first: the three, in reverse order of sending.
    const list = await admin.get('/admin/rejections?limit=3');
    expect(list.status).toBe(200);
    expect(list.body.items.map((item: { code: string }) => item.code)).toEqual(refused.map((r) => r.code).reverse());
    ids.push(...list.body.items.map((item: { id: string }) => item.id).reverse());

    for (const [index, { body, code, says }] of refused.entries()) {
      const detail = await admin.get(`/admin/rejections/${ids[index]}`);
      expect(detail.status).toBe(200);
      expect(detail.body).toEqual({
        id: ids[index],
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        source: 'default',
        code,
        reason: expect.stringMatching(says),
        size: Buffer.byteLength(body),
        webhookId: expect.stringMatching(/^msg_/),
        headers: {
          'webhook-id': detail.body.webhookId,
          'webhook-timestamp': expect.stringMatching(/^\d+$/),
          'content-type': 'application/json',
          'user-agent': 'provider-webhooks/2.1',
          'x-request-id': expect.stringMatching(/^req_/),
          'remote-address': '127.0.0.1',
        },
        body: { base64: Buffer.from(body).toString('base64'), utf8: body },
      });
      // The exact bytes, as stored.
      expect(Buffer.compare(await storedBody(ids[index]), Buffer.from(body))).toBe(0);
    }
  });

  it('lists with keyset pages, newest first, using the events cursor; a bad cursor or limit is a 400', async () => {
    await request(t.url, signed(`{"type":"test.ok","data":"${marker}_page"}`));
    const { rows } = await t.db.query<{ id: string }>(
      'SELECT id FROM webhook_rejections ORDER BY received_at DESC, id DESC',
    );
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await admin.get(
        `/admin/rejections?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items) {
        expect(item).toEqual({
          id: expect.any(String),
          receivedAt: expect.any(String),
          source: expect.any(String),
          code: expect.any(String),
          reason: expect.any(String),
          size: expect.any(Number),
          // Other suites of the run quarantine unsigned requests (development mode) too.
          webhookId: item.webhookId === null ? null : expect.any(String),
        });
      }
      walked.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(rows.map((row) => row.id));
    expect(walked.length).toBeGreaterThanOrEqual(4);

    for (const query of ['cursor=not-a-cursor', 'limit=0', 'limit=201', 'type=test.ok']) {
      const response = await admin.get(`/admin/rejections?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
  });

  it('gives a body that is not UTF-8 in base64 only', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xc0, 0x00, 0x7d]); // {"a":<ff c0 00>}
    const response = await request(t.url, signed(bytes));
    expect(response.status).toBe(400);
    const newest = (await admin.get('/admin/rejections?limit=1')).body.items[0];
    expect(newest).toMatchObject({ code: 'invalid_json', size: bytes.length });
    const detail = await admin.get(`/admin/rejections/${newest.id}`);
    expect(detail.body.body).toEqual({ base64: bytes.toString('base64'), utf8: null });
    expect(Buffer.compare(await storedBody(newest.id), bytes)).toBe(0);
  });

  it('deletes one: 204, then 404; a malformed id is a 400 and the admin key is required', async () => {
    const [id] = ids;
    expect((await adminClient(t, null).get(`/admin/rejections/${id}`)).status).toBe(401);
    expect((await adminClient(t, null).delete(`/admin/rejections/${id}`)).status).toBe(401);
    expect((await admin.get('/admin/rejections/not-a-uuid')).status).toBe(400);
    expect((await admin.delete('/admin/rejections/not-a-uuid')).status).toBe(400);

    const deleted = await admin.delete(`/admin/rejections/${id}`);
    expect(deleted.status).toBe(204);
    expect(await storedBody(id)).toBeUndefined();
    expect((await admin.get(`/admin/rejections/${id}`)).status).toBe(404);
    const again = await admin.delete(`/admin/rejections/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.message).toMatch(/no quarantined request/);
    // The others are still there.
    expect((await admin.get(`/admin/rejections/${ids[1]}`)).status).toBe(200);
  });

  it('checks the signature without parsing: a huge deeply nested body badly signed is a signature failure, not a JSON error', async () => {
    const depth = 300_000;
    const body = `${'['.repeat(depth)}${']'.repeat(depth)}`; // valid JSON, 600 kB, 300 000 levels deep
    const before = await quarantined();
    const parses = watchJsonParse(body.length);
    try {
      const badlySigned = await request(t.url, signed(body, newSecret()));
      expect(badlySigned.status).toBe(401);
      expectErrorShape(badlySigned, 401);
      expect(badlySigned.json.check).toBe('signature_mismatch');
      expect(badlySigned.json.message).not.toMatch(/JSON|nested|deep/i);

      const notSigned = await request(t.url, unsigned(body));
      expect(notSigned.status).toBe(401);
      expect(notSigned.json.check).toBe('missing_headers');
      expect(await quarantined()).toBe(before);

      // Correctly signed: refused by the scan over the raw bytes, still without a parse, and kept.
      const verified = await request(t.url, signed(body));
      expect(verified.status).toBe(400);
      expect(verified.json.message).toEqual(['body is nested deeper than 64 levels of objects and arrays']);
      expect(await quarantined()).toBe(before + 1);
      expect(parses.calls).toBe(0);

      // The watch sees the service's parse: a valid body of that size is parsed exactly once.
      const large = JSON.stringify({ type: 'test.ok', data: { pad: 'x'.repeat(depth * 2) } });
      const accepted = await request(t.url, signed(large));
      expect(accepted.status).toBe(200);
      expect(parses.calls).toBe(1);
    } finally {
      parses.restore();
    }
    const newest = (await admin.get('/admin/rejections?limit=1')).body.items[0];
    expect(newest).toMatchObject({ code: 'json_too_deep', size: body.length });
    expect((await storedBody(newest.id)).toString('latin1')).toBe(body);
  });

  it('refuses and keeps signed bodies with too many keys or array items (the defaults: 10 000 each)', async () => {
    const keys = `{"type":"test.ok","data":{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":0`).join(',')}}}`;
    const items = `{"type":"test.ok","data":{"a":[${Array.from({ length: 10_001 }, () => '0').join(',')}]}}`;
    expect((await request(t.url, unsigned(keys))).status).toBe(401);
    expect((await request(t.url, unsigned(items))).status).toBe(401);
    const tooManyKeys = await request(t.url, signed(keys));
    expect({ status: tooManyKeys.status, message: tooManyKeys.json.message }).toEqual({
      status: 400,
      message: ['body has more than 10000 object keys'],
    });
    const tooManyItems = await request(t.url, signed(items));
    expect({ status: tooManyItems.status, message: tooManyItems.json.message }).toEqual({
      status: 400,
      message: ['body has more than 10000 array items'],
    });
    const codes = (await admin.get('/admin/rejections?limit=2')).body.items.map((item: { code: string }) => item.code);
    expect(codes).toEqual(['json_too_many_array_items', 'json_too_many_keys']);
  });

  it('counts quarantined requests in /metrics by reason', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const sample = (reason: string) =>
      Number(
        new RegExp(`^webhook_inbox_requests_quarantined_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1],
      );
    expect(sample('forbidden_key')).toBe(1);
    expect(sample('unstorable_escape')).toBe(1);
    expect(sample('invalid_envelope')).toBe(2);
    expect(sample('invalid_json')).toBe(1);
    expect(sample('json_too_deep')).toBe(1);
    expect(sample('json_too_many_keys')).toBe(1);
    expect(sample('json_too_many_array_items')).toBe(1);
  });

  it('answers 503 with Retry-After when the quarantine cannot be written (refused or hung), and keeps the retry', async () => {
    const body = `{"id":"${marker}_retry","type":"test.ok"}`; // no data: refused
    const req = signed(body);
    const before = await quarantined();

    // Writes fail.
    await t.db.query('ALTER TABLE webhook_rejections ADD CONSTRAINT ck_test_refuse_all CHECK (false) NOT VALID');
    try {
      const failed = await request(t.url, req);
      expect(failed.status).toBe(503);
      expectErrorShape(failed, 503);
      expect(failed.headers['retry-after']).toBe('5');
    } finally {
      await t.db.query('ALTER TABLE webhook_rejections DROP CONSTRAINT ck_test_refuse_all');
    }
    expect(await quarantined()).toBe(before);

    // Writes hang: answered within ACK_TIMEOUT_MS, never with the 400.
    const locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE webhook_rejections IN ACCESS EXCLUSIVE MODE');
      const hung = await request(t.url, req);
      expect(hung.status).toBe(503);
      expect(hung.headers['retry-after']).toBe('5');
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }

    // The provider retries (same signed request, still fresh): refused, and kept this time. The
    // hung insert may also land once the lock is gone; both rows are the same request.
    const retried = await request(t.url, req);
    expect(retried.status).toBe(400);
    expect(retried.json.message).toEqual(['data is required']);
    await waitFor(async () => (await quarantined()) >= before + 1, 5000, 'the retry to be kept');
    const { rows } = await t.db.query('SELECT body FROM webhook_rejections WHERE headers->>$1 = $2', [
      'webhook-id',
      req.headers!['webhook-id'],
    ]);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) expect(row.body.toString('utf8')).toBe(body);
  });

  it('leaves JSON parsing of the admin routes as it was: their bodies are parsed before the handler, a __proto__ key refused, nothing kept', async () => {
    const before = await quarantined();
    const response = await request(t.url, {
      method: 'PUT',
      path: '/admin/subscriptions',
      headers: { ...JSON_TYPE, authorization: `Bearer ${ADMIN_KEY}` },
      body: '{"mode":"all","__proto__":{"isAdmin":true}}',
    });
    expect(response.status).toBe(400);
    expectErrorShape(response, 400);
    expect(await quarantined()).toBe(before);
    const valid = await admin.get('/admin/subscriptions');
    expect(valid.status).toBe(200);
  });
});

describe('quarantine in development without WEBHOOK_SECRET (every request passes the signature check)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: ADMIN_ENV });
  });
  afterAll(async () => t?.close());

  it('keeps refused content, as it would a signed request', async () => {
    const body = `{"id":"${uniqueId('dev')}","type":"test.ok","data":"not an object"}`;
    const response = await request(t.url, unsigned(body));
    expect(response.status).toBe(400);
    const newest = (await adminClient(t).get('/admin/rejections?limit=1')).body.items[0];
    expect(newest).toMatchObject({ code: 'invalid_envelope', reason: 'data must be a JSON object', webhookId: null });
  });
});
