import fc from 'fast-check';
import net from 'node:net';
import { inboxRowCounts, storedPayload } from '../support/inbox-rows.js';
import { expectErrorShape, request, type RawRequest } from '../support/raw-http.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus, untilQueuesIdle } from '../support/test-app.js';
import { TestHandlersModule } from '../support/test-handlers.js';

/**
 * The public edge against the real service (Postgres, Redis, the real Fastify stack): every bad
 * request is refused with the right status and a JSON error, and leaves no event, delivery or
 * attempt behind. A correctly signed request whose content is refused is kept in the quarantine,
 * byte for byte; nothing else is.
 */
const OLD_SECRET = newSecret();
const NEW_SECRET = newSecret();
const BODY_LIMIT = 4096;
const JSON_TYPE = { 'content-type': 'application/json' };
// Small enough to pass inside BODY_LIMIT.
const JSON_MAX_DEPTH = 16;
const JSON_MAX_KEYS = 100;
const JSON_MAX_ARRAY_ITEMS = 100;

describe('public edge: POST /webhooks refusals and acceptance (real service)', () => {
  let t: TestApp;
  const marker = uniqueId('badreq');

  beforeAll(async () => {
    t = await startTestApp({
      extraImports: [TestHandlersModule],
      env: {
        // Two secrets, as during a rotation.
        WEBHOOK_SECRET: `${OLD_SECRET} ${NEW_SECRET}`,
        WEBHOOK_BODY_LIMIT: String(BODY_LIMIT),
        WEBHOOK_JSON_MAX_DEPTH: String(JSON_MAX_DEPTH),
        WEBHOOK_JSON_MAX_KEYS: String(JSON_MAX_KEYS),
        WEBHOOK_JSON_MAX_ARRAY_ITEMS: String(JSON_MAX_ARRAY_ITEMS),
        // This file sends dozens of bad signatures from one address on purpose; throttling has its own spec.
        SIGNATURE_FAILURE_LIMIT: '100000',
        // The same table, sent to a source of its own (same scheme and secrets, its own route and reader).
        WEBHOOK_SOURCES: 'partner',
        SOURCE_PARTNER_VERIFIER: 'standard-webhooks',
        SOURCE_PARTNER_SECRET: `${OLD_SECRET} ${NEW_SECRET}`,
      },
    });
  });
  afterAll(async () => t?.close());

  const now = () => Math.floor(Date.now() / 1000);
  /** A body that would be accepted, tagged so any row it left behind can be found. */
  const envelope = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: `${marker}_${Math.random().toString(36).slice(2)}`,
      type: 'test.ok',
      data: { marker },
      ...fields,
    });
  /** A correctly signed POST (new secret) of `body`, unless `sign` overrides the signing. */
  const signed = (body: string | Buffer, sign: { secret?: string; timestamp?: number } = {}): RawRequest => ({
    path: '/webhooks',
    headers: { ...JSON_TYPE, ...signedHeaders(sign.secret ?? NEW_SECRET, body, { timestamp: sign.timestamp }) },
    body,
  });
  /** Signed correctly, then one header or the body changed. */
  const tampered = (change: (headers: Record<string, string>) => void, body: string = envelope()): RawRequest => {
    const req = signed(body);
    change(req.headers!);
    return req;
  };

  interface BadCase {
    name: string;
    build: () => RawRequest;
    status: number;
    /** The signature check named in a 401. */
    check?: string;
    /** Something the message must say. */
    says?: RegExp;
    /** Correctly signed, content refused: quarantined, byte for byte, under this code. */
    quarantined?: string;
  }

  /** JSON nested `depth` levels deep (valid, and within BODY_LIMIT), inside an envelope. */
  const deep = (depth: number) =>
    envelope({ data: { marker, nested: JSON.parse(`${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}`) } });
  /** An envelope with `count` keys in `data`. */
  const manyKeys = (count: number) =>
    envelope({ data: Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i])) });
  /** An envelope with an array of `count` items in `data`. */
  const manyItems = (count: number) => envelope({ data: { marker, items: Array.from({ length: count }, () => 0) } });
  /** A body with a __proto__ key, as the provider would write it (JSON.stringify does not). */
  const protoBody = () => envelope({ data: { marker } }).replace('"data":{', '"data":{"__proto__":{"admin":true},');

  const cases: BadCase[] = [
    // --- method and content type: 405 / 415
    { name: 'GET /webhooks', build: () => ({ method: 'GET', path: '/webhooks' }), status: 405, says: /POST/ },
    { name: 'PUT /webhooks', build: () => ({ ...signed(envelope()), method: 'PUT' }), status: 405 },
    { name: 'DELETE /webhooks', build: () => ({ method: 'DELETE', path: '/webhooks' }), status: 405 },
    ...[
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json-patch+json',
      'text/json',
    ].map((type): BadCase => ({
      name: `content-type ${type}`,
      build: () => {
        const req = signed(envelope());
        return { ...req, headers: { ...req.headers, 'content-type': type } };
      },
      status: 415,
      says: /application\/json/,
    })),
    {
      name: 'no content-type',
      build: () => {
        const { 'content-type': _dropped, ...headers } = signed(envelope()).headers!;
        return { path: '/webhooks', headers, body: envelope() };
      },
      status: 415,
    },
    { name: 'undecodable URL', build: () => ({ ...signed(envelope()), path: '/webhooks%zz' }), status: 400 },
    // --- not JSON: 400
    {
      name: 'truncated JSON',
      build: () => signed('{"type":"test.ok","data":{'),
      status: 400,
      quarantined: 'invalid_json',
    },
    { name: 'not JSON at all', build: () => signed('type=test.ok'), status: 400, quarantined: 'invalid_json' },
    {
      name: 'two JSON documents',
      build: () => signed('{"type":"test.ok","data":{}}{"x":1}'),
      status: 400,
      quarantined: 'invalid_json',
    },
    { name: 'empty body', build: () => signed(''), status: 400, quarantined: 'invalid_json' },
    // --- too large: 413, with Content-Length and chunked
    {
      name: 'body over the limit',
      build: () => signed(envelope({ pad: 'x'.repeat(BODY_LIMIT) })),
      status: 413,
      says: /4096 bytes/,
    },
    {
      name: 'chunked body over the limit',
      build: () => ({ ...signed(envelope({ pad: 'y'.repeat(BODY_LIMIT * 2) })), chunked: true }),
      status: 413,
    },
    // --- signature: 401 naming the failed check
    {
      name: 'unsigned',
      build: () => ({ path: '/webhooks', headers: JSON_TYPE, body: envelope() }),
      status: 401,
      check: 'missing_headers',
    },
    {
      name: 'only webhook-id',
      build: () => ({ path: '/webhooks', headers: { ...JSON_TYPE, 'webhook-id': 'msg_1' }, body: envelope() }),
      status: 401,
      check: 'missing_headers',
      says: /webhook-timestamp, webhook-signature/,
    },
    {
      name: 'timestamp not a number',
      build: () => tampered((h) => (h['webhook-timestamp'] = 'yesterday')),
      status: 401,
      check: 'timestamp_invalid',
    },
    {
      name: 'replayed: correctly signed 10 minutes ago',
      build: () => signed(envelope(), { timestamp: now() - 600 }),
      status: 401,
      check: 'timestamp_too_old',
    },
    {
      name: 'stale by one second past the tolerance',
      build: () => signed(envelope(), { timestamp: now() - 302 }),
      status: 401,
      check: 'timestamp_too_old',
    },
    {
      name: 'timestamp in the future',
      build: () => signed(envelope(), { timestamp: now() + 302 }),
      status: 401,
      check: 'timestamp_too_new',
    },
    {
      name: 'signature not v1',
      build: () => tampered((h) => (h['webhook-signature'] = h['webhook-signature'].replace('v1,', 'v1a,'))),
      status: 401,
      check: 'signature_malformed',
    },
    {
      name: 'signature without a version',
      build: () => tampered((h) => (h['webhook-signature'] = h['webhook-signature'].slice(3))),
      status: 401,
      check: 'signature_malformed',
    },
    {
      name: 'signature truncated',
      build: () => tampered((h) => (h['webhook-signature'] = h['webhook-signature'].slice(0, 20))),
      status: 401,
      check: 'signature_malformed',
    },
    {
      name: 'signed with another secret',
      build: () => signed(envelope(), { secret: newSecret() }),
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: 'body changed after signing',
      build: () => {
        const req = signed(envelope({ data: { marker, amount: 100 } }));
        return { ...req, body: String(req.body).replace('100', '900') };
      },
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: 'whitespace added to the body after signing',
      build: () => {
        const req = signed(envelope());
        return { ...req, body: `${req.body} ` };
      },
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: 'webhook-id changed after signing',
      build: () => tampered((h) => (h['webhook-id'] += 'x')),
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: 'timestamp changed after signing',
      build: () => tampered((h) => (h['webhook-timestamp'] = String(Number(h['webhook-timestamp']) - 1))),
      status: 401,
      check: 'signature_mismatch',
    },
    // --- correctly signed, but not a valid envelope: 400 naming each field
    {
      name: 'body is an array',
      build: () => signed(JSON.stringify([{ type: 'test.ok', data: {} }])),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /body must be a JSON object/,
    },
    {
      name: 'body is a string',
      build: () => signed(JSON.stringify('test.ok')),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /body must be a JSON object/,
    },
    {
      name: 'type missing',
      build: () => signed(envelope({ type: undefined })),
      status: 400,
      says: /type is required/,
      quarantined: 'invalid_envelope',
    },
    {
      name: 'type not a string',
      build: () => signed(envelope({ type: 42 })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /type must be a non-empty string/,
    },
    {
      name: 'type empty',
      build: () => signed(envelope({ type: '' })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /type must be a non-empty string/,
    },
    {
      name: 'type too long',
      build: () => signed(envelope({ type: 't'.repeat(129) })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /type must be at most 128/,
    },
    {
      name: 'type with a space',
      build: () => signed(envelope({ type: 'test ok' })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /type must contain only/,
    },
    {
      name: 'type with non-ASCII',
      build: () => signed(envelope({ type: 'tést' })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /type must contain only/,
    },
    {
      name: 'data missing',
      build: () => signed(envelope({ data: undefined })),
      status: 400,
      says: /data is required/,
      quarantined: 'invalid_envelope',
    },
    {
      name: 'data an array',
      build: () => signed(envelope({ data: [marker] })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /data must be a JSON object/,
    },
    {
      name: 'data null',
      build: () => signed(envelope({ data: null })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /data must be a JSON object/,
    },
    {
      name: 'id a number',
      build: () => signed(envelope({ id: 7 })),
      status: 400,
      says: /id must be a string/,
      quarantined: 'invalid_envelope',
    },
    {
      name: 'id too long',
      build: () => signed(envelope({ id: `${marker}${'i'.repeat(256)}` })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /id must be at most 255/,
    },
    {
      name: 'created_at not a date',
      build: () => signed(envelope({ created_at: 'last tuesday' })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /created_at must be an ISO-8601/,
    },
    {
      name: 'created_at an impossible date',
      build: () => signed(envelope({ created_at: '2026-02-30T10:00:00Z' })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /created_at/,
    },
    {
      name: 'several fields wrong at once',
      build: () => signed(JSON.stringify({ id: '', type: 'a b', data: 'x', created_at: 5 })),
      status: 400,
      quarantined: 'invalid_envelope',
      says: /^type must contain only .*; data must be a JSON object; id must be a non-empty string; created_at must be/,
    },
    {
      name: 'a \\u0000 escape Postgres cannot store',
      build: () => signed(envelope({ data: { marker, text: 'a\u0000b' } })),
      status: 400,
      says: /\\u0000/,
      quarantined: 'unstorable_escape',
    },
    {
      name: 'a lone surrogate escape Postgres cannot store',
      build: () => signed(envelope({ data: { marker, text: '\ud800' } })),
      status: 400,
      says: /unpaired surrogate/,
      quarantined: 'unstorable_escape',
    },
    {
      name: 'a number beyond what Postgres numeric holds',
      build: () => signed(envelope({ data: { marker } }).replace('"data":{', '"data":{"n":1e200000,')),
      status: 400,
      says: /cannot be stored: value overflows numeric format/,
      quarantined: 'unstorable_value',
    },
    {
      name: 'invalid UTF-8 that is not JSON either',
      build: () => signed(Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d])),
      status: 400,
      says: /not valid JSON/,
      quarantined: 'invalid_json',
    },
    // --- the signature is checked over the raw bytes before any parsing: what the JSON parser would
    // refuse (a __proto__ key, pathological JSON) is a signature failure when not correctly signed
    {
      name: 'a __proto__ key, unsigned',
      build: () => ({ path: '/webhooks', headers: JSON_TYPE, body: protoBody() }),
      status: 401,
      check: 'missing_headers',
    },
    {
      name: 'a __proto__ key, signed with another secret',
      build: () => signed(protoBody(), { secret: newSecret() }),
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: 'a __proto__ key, correctly signed',
      build: () => signed(protoBody()),
      status: 400,
      says: /"__proto__" key/,
      quarantined: 'forbidden_key',
    },
    {
      name: 'a constructor.prototype key, correctly signed',
      build: () => signed(envelope({ data: { marker, constructor: { prototype: { admin: true } } } })),
      status: 400,
      says: /"constructor" key holding a "prototype" key/,
      quarantined: 'forbidden_key',
    },
    {
      name: 'unclosed nesting 4000 deep, unsigned',
      build: () => ({ path: '/webhooks', headers: JSON_TYPE, body: '['.repeat(4000) }),
      status: 401,
      check: 'missing_headers',
    },
    {
      name: 'unclosed nesting 4000 deep, signed with another secret',
      build: () => signed('['.repeat(4000), { secret: newSecret() }),
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: 'unclosed nesting 4000 deep, stale signature',
      build: () => signed('{'.repeat(4000), { timestamp: now() - 600 }),
      status: 401,
      check: 'timestamp_too_old',
    },
    {
      name: 'unclosed nesting 4000 deep, correctly signed',
      build: () => signed('['.repeat(4000)),
      status: 400,
      says: new RegExp(`nested deeper than ${JSON_MAX_DEPTH} levels`),
      quarantined: 'json_too_deep',
    },
    {
      name: `nesting one past WEBHOOK_JSON_MAX_DEPTH (${JSON_MAX_DEPTH}), correctly signed`,
      build: () => signed(deep(JSON_MAX_DEPTH + 1)),
      status: 400,
      says: /nested deeper/,
      quarantined: 'json_too_deep',
    },
    {
      name: `more keys than WEBHOOK_JSON_MAX_KEYS (${JSON_MAX_KEYS}), unsigned`,
      build: () => ({ path: '/webhooks', headers: JSON_TYPE, body: manyKeys(JSON_MAX_KEYS) }),
      status: 401,
      check: 'missing_headers',
    },
    {
      name: `more keys than WEBHOOK_JSON_MAX_KEYS (${JSON_MAX_KEYS}), correctly signed`,
      build: () => signed(manyKeys(JSON_MAX_KEYS)),
      status: 400,
      says: new RegExp(`more than ${JSON_MAX_KEYS} object keys`),
      quarantined: 'json_too_many_keys',
    },
    {
      name: `more array items than WEBHOOK_JSON_MAX_ARRAY_ITEMS (${JSON_MAX_ARRAY_ITEMS}), signed with another secret`,
      build: () => signed(manyItems(JSON_MAX_ARRAY_ITEMS + 1), { secret: newSecret() }),
      status: 401,
      check: 'signature_mismatch',
    },
    {
      name: `more array items than WEBHOOK_JSON_MAX_ARRAY_ITEMS (${JSON_MAX_ARRAY_ITEMS}), correctly signed`,
      build: () => signed(manyItems(JSON_MAX_ARRAY_ITEMS + 1)),
      status: 400,
      says: new RegExp(`more than ${JSON_MAX_ARRAY_ITEMS} array items`),
      quarantined: 'json_too_many_array_items',
    },
  ];

  const quarantineCount = async () =>
    (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_rejections')).rows[0].n;
  const newestQuarantined = async () =>
    (
      await t.db.query(
        'SELECT source, code, reason, headers, body FROM webhook_rejections ORDER BY received_at DESC, id DESC LIMIT 1',
      )
    ).rows[0];

  /** Sends each case (to `path` instead of /webhooks when given); returns what did not go as the case says. */
  async function refusalFailures(table: BadCase[], source?: string): Promise<string[]> {
    const failures: string[] = [];
    for (const badCase of table) {
      const original = badCase.build();
      const sent = source
        ? { ...original, path: original.path.replace(/^\/webhooks/, `/webhooks/${source}`) }
        : original;
      const countBefore = await quarantineCount();
      const response = await request(t.url, sent);
      try {
        expect(response.status).toBe(badCase.status);
        expectErrorShape(response, badCase.status);
        if (badCase.check) expect(response.json.check).toBe(badCase.check);
        const message = [response.json.message].flat().join('; ');
        if (badCase.says) expect(message).toMatch(badCase.says);
        // A refusal never echoes a signature, expected or received.
        expect(response.text).not.toMatch(/v1,[A-Za-z0-9+/]{20,}/);
        // Committed before the answer: one row exactly for a verified refusal, none otherwise.
        expect(await quarantineCount()).toBe(countBefore + (badCase.quarantined ? 1 : 0));
        if (badCase.quarantined) {
          const row = await newestQuarantined();
          expect(row.code).toBe(badCase.quarantined);
          expect(row.source).toBe(source ?? 'default');
          expect(row.reason).toBe(message);
          expect(Buffer.compare(row.body, Buffer.from(sent.body ?? ''))).toBe(0);
          expect(row.headers).toEqual(
            expect.objectContaining({
              'webhook-id': sent.headers!['webhook-id'],
              'webhook-timestamp': sent.headers!['webhook-timestamp'],
              'content-type': sent.headers!['content-type'],
              'remote-address': '127.0.0.1',
            }),
          );
          expect(row.headers).not.toHaveProperty('webhook-signature');
        }
      } catch (error) {
        failures.push(
          `${badCase.name}: ${(error as Error).message.split('\n').slice(0, 4).join(' ')}\n  got ${response.status} ${response.text.slice(0, 300)}`,
        );
      }
    }
    return failures;
  }

  it(`refuses ${cases.length} bad requests with the right status and a JSON error, storing no event; verified refused content is quarantined exactly`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const before = await inboxRowCounts(t.db);
    const quarantinedBefore = await quarantineCount();
    const failures = await refusalFailures(cases);
    expect(failures).toEqual([]);

    // A good request sent after them has been stored and handled, and no job is left: anything the
    // refused ones had set off would have happened by now. Then every table holds that one event's
    // rows (one test.ok handler, one attempt) and nothing else.
    const later = await request(
      t.url,
      signed(JSON.stringify({ id: uniqueId('after_refusals'), type: 'test.ok', data: {} })),
    );
    expect(later.status).toBe(200);
    await untilEventStatus(t.db, later.json.id, 'processed');
    await untilQueuesIdle(t.app);
    expect(await inboxRowCounts(t.db)).toEqual({
      events: before.events + 1,
      deliveries: before.deliveries + 1,
      attempts: before.attempts + 1,
    });
    expect(await quarantineCount()).toBe(quarantinedBefore + cases.filter((c) => c.quarantined).length);
    const leftovers = await t.db.query(
      `SELECT count(*)::int AS n FROM webhook_events WHERE external_id LIKE $1 OR payload::text LIKE $2`,
      [`${marker}%`, `%${marker}%`],
    );
    expect(leftovers.rows[0].n).toBe(0);
  });

  it('refuses the same requests sent to a configured source the same way, quarantining under that source', async () => {
    // Everything but what is about the default envelope (a source reads its own fields) and the
    // method checks (a source's route answers 404 to other methods, like any unknown route).
    const table = cases.filter((badCase) => badCase.quarantined !== 'invalid_envelope' && badCase.status !== 405);
    expect(table.length).toBeGreaterThanOrEqual(40);
    const before = await inboxRowCounts(t.db);
    const quarantinedBefore = await quarantineCount();
    expect(await refusalFailures(table, 'partner')).toEqual([]);
    expect(await inboxRowCounts(t.db)).toEqual(before);
    expect(await quarantineCount()).toBe(quarantinedBefore + table.filter((c) => c.quarantined).length);
  });

  it('answers 413 from the Content-Length alone, without reading (buffering) the oversized body', async () => {
    const { port } = new URL(t.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s: the server waited for the body')));
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', reject);
      // Announce 1 GB and send none of it.
      socket.write(
        'POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n',
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('accepts a request signed by the standardwebhooks package and processes it end to end', async () => {
    const externalId = uniqueId('std');
    const body = JSON.stringify({
      id: externalId,
      type: 'test.ok',
      data: { amount: 1200 },
      created_at: '2026-11-30T10:00:00Z',
    });
    const response = await request(t.url, signed(body));
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ received: true, id: expect.any(String), duplicate: false });
    expect(await untilEventStatus(t.db, response.json.id, 'processed')).toBe(true);
    expect(await storedPayload(t.db, response.json.id)).toEqual(JSON.parse(body));
  });

  it('accepts every secret of a rotation, a JSON content type with charset, and a clock skew within the tolerance', async () => {
    const accepted = [
      signed(envelope({ id: uniqueId('old') }), { secret: OLD_SECRET }),
      signed(envelope({ id: uniqueId('new') }), { secret: NEW_SECRET }),
      signed(envelope({ id: uniqueId('early') }), { timestamp: now() - 250 }),
      signed(envelope({ id: uniqueId('late') }), { timestamp: now() + 250 }),
    ];
    const withCharset = signed(envelope({ id: uniqueId('charset') }));
    withCharset.headers!['content-type'] = 'application/json; charset=utf-8';
    accepted.push(withCharset);
    for (const req of accepted) {
      const response = await request(t.url, req);
      expect({ status: response.status, body: response.json }).toEqual({
        status: 200,
        body: expect.objectContaining({ received: true }),
      });
    }
  });

  it('accepts a header carrying several signatures when any one matches (the sender is mid-rotation)', async () => {
    const body = envelope({ id: uniqueId('multi') });
    const req = signed(body);
    const wrong = signedHeaders(newSecret(), body, {
      id: req.headers!['webhook-id'],
      timestamp: Number(req.headers!['webhook-timestamp']),
    });
    req.headers!['webhook-signature'] =
      `${wrong['webhook-signature']} v1a,ignoredAsymmetric ${req.headers!['webhook-signature']}`;
    const response = await request(t.url, req);
    expect(response.status).toBe(200);
  });

  it('answers only 200 or a 4xx JSON error to arbitrary signed bodies, never a 5xx (fast-check, through the whole stack)', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 }); // includes lone surrogates and \u0000
    const envelopeLike = fc.record(
      {
        id: fc.oneof(fc.constant(undefined), text, fc.integer(), fc.constant(null)),
        type: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/), text, fc.jsonValue({ maxDepth: 1 })),
        data: fc.oneof(
          fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        created_at: fc.oneof(
          fc.constant(undefined),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          text,
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      envelopeLike.map((value) => JSON.stringify(value)),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
    );
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const response = await request(t.url, signed(raw));
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        if (response.status !== 200) {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expectErrorShape(response, response.status);
        }
      }),
      { numRuns: 150 },
    );
    // Both outcomes were exercised, so the property was not checked on refusals alone.
    expect(seen.get(200)).toBeGreaterThan(0);
    expect(seen.get(400)).toBeGreaterThan(0);
  });
});
