import * as crypto from 'node:crypto';
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import {
  MAX_SIGNATURE_ENTRIES,
  parseWebhookSecrets,
  signWebhook,
  StandardWebhooksVerifier,
  WebhookSignatureError,
  type SignatureCheck,
  type SignatureHeaders,
} from './standard-webhooks.verifier.js';

// Known-answer vector from the Standard Webhooks specification / reference libraries.
const KAT = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const SECRET_A = `whsec_${Buffer.alloc(32, 0xa1).toString('base64')}`;
const SECRET_B = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const SECRET_C = `whsec_${crypto.randomBytes(32).toString('base64')}`;

const NOW = 1_800_000_000;
const ID = 'msg_2Kq0example';
const BODY = Buffer.from('{"type":"invoice.paid","data":{"amount":1200,"note":"café ☕"}}');

function verifierFor(...secrets: string[]): StandardWebhooksVerifier {
  return new StandardWebhooksVerifier(parseWebhookSecrets(secrets.join(' ')));
}

function headersFor(secret: string, overrides: Partial<SignatureHeaders> = {}): SignatureHeaders {
  return {
    id: ID,
    timestamp: String(NOW),
    signature: signWebhook(secret, ID, NOW, BODY),
    ...overrides,
  };
}

/** Runs fn and returns the WebhookSignatureError it throws (fails the test when it does not throw one). */
function captureError(fn: () => void): WebhookSignatureError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookSignatureError);
    return error as WebhookSignatureError;
  }
  throw new Error('expected a WebhookSignatureError to be thrown');
}

function expectCheck(fn: () => void, check: SignatureCheck): WebhookSignatureError {
  const error = captureError(fn);
  expect(error.check).toBe(check);
  return error;
}

/** A syntactically valid v1 entry that matches nothing. */
function bogusV1(fill = 7): string {
  return `v1,${Buffer.alloc(32, fill).toString('base64')}`;
}

describe('signWebhook', () => {
  it('produces the Standard Webhooks known-answer signature', () => {
    expect(signWebhook(KAT.secret, KAT.id, KAT.timestamp, KAT.body)).toBe(KAT.signature);
    expect(signWebhook(KAT.secret, KAT.id, KAT.timestamp, Buffer.from(KAT.body))).toBe(KAT.signature);
  });

  it('accepts a secret without the whsec_ prefix (bare base64)', () => {
    expect(signWebhook(KAT.secret.slice('whsec_'.length), KAT.id, KAT.timestamp, KAT.body)).toBe(KAT.signature);
  });

  it('signs the raw bytes exactly ("{id}.{timestamp}." followed by the body)', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]); // not valid UTF-8
    const key = Buffer.from(SECRET_A.slice(6), 'base64');
    const expected = crypto
      .createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from(`${ID}.${NOW}.`), body]))
      .digest('base64');
    expect(signWebhook(SECRET_A, ID, NOW, body)).toBe(`v1,${expected}`);
  });

  it.each([
    ['empty after the prefix', 'whsec_'],
    ['empty', ''],
    ['invalid base64 characters', 'whsec_not*base64!'],
    ['base64url alphabet', 'whsec_ab-_cd'],
    ['bad padding', 'whsec_abc=='],
  ])('rejects a secret that is %s, without echoing it', (_label, secret) => {
    let message = '';
    expect(() => {
      try {
        signWebhook(secret, ID, NOW, BODY);
      } catch (error) {
        message = (error as Error).message;
        throw error;
      }
    }).toThrow(/secret/i);
    if (secret.length > 'whsec_'.length) expect(message).not.toContain(secret.slice(6));
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])('rejects a non-integer timestamp %p', (ts) => {
    expect(() => signWebhook(SECRET_A, ID, ts, BODY)).toThrow(/timestampSeconds/);
  });
});

describe('StandardWebhooksVerifier', () => {
  describe('known answer', () => {
    it('verifies the Standard Webhooks test vector', () => {
      const verifier = verifierFor(KAT.secret);
      expect(() =>
        verifier.verify(
          Buffer.from(KAT.body),
          { id: KAT.id, timestamp: String(KAT.timestamp), signature: KAT.signature },
          KAT.timestamp,
        ),
      ).not.toThrow();
    });

    it('rejects the test vector with a one-byte change to the body', () => {
      const verifier = verifierFor(KAT.secret);
      expectCheck(
        () =>
          verifier.verify(
            Buffer.from('{"test": 2432232315}'),
            { id: KAT.id, timestamp: String(KAT.timestamp), signature: KAT.signature },
            KAT.timestamp,
          ),
        'signature_mismatch',
      );
    });
  });

  describe('cross-check with the reference `standardwebhooks` package', () => {
    it('verifies requests signed by the reference implementation', () => {
      const reference = new Webhook(SECRET_A);
      const signature = reference.sign(ID, new Date(NOW * 1000), BODY.toString('utf8'));
      expect(() =>
        verifierFor(SECRET_A).verify(BODY, { id: ID, timestamp: String(NOW), signature }, NOW),
      ).not.toThrow();
    });

    it('signs requests the reference implementation verifies', () => {
      const now = Math.floor(Date.now() / 1000); // the reference verifies against the real clock
      const reference = new Webhook(SECRET_A);
      const signature = signWebhook(SECRET_A, ID, now, BODY);
      const parsed = reference.verify(BODY, {
        'webhook-id': ID,
        'webhook-timestamp': String(now),
        'webhook-signature': signature,
      });
      expect(parsed).toEqual(JSON.parse(BODY.toString('utf8')));
    });

    it('agrees with the reference for arbitrary keys, ids and UTF-8 bodies', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes(' ')),
          fc.integer({ min: 1, max: 4_000_000_000 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          (keyBytes, id, ts, body) => {
            const secret = `whsec_${Buffer.from(keyBytes).toString('base64')}`;
            const ours = signWebhook(secret, id, ts, body);
            const theirs = new Webhook(secret).sign(id, new Date(ts * 1000), body);
            expect(ours).toBe(theirs);
            new StandardWebhooksVerifier([Buffer.from(keyBytes)]).verify(
              Buffer.from(body, 'utf8'),
              { id, timestamp: String(ts), signature: theirs },
              ts,
            );
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('accepts', () => {
    it('a single valid signature', () => {
      expect(() => verifierFor(SECRET_A).verify(BODY, headersFor(SECRET_A), NOW)).not.toThrow();
    });

    it('uses the current clock when nowSeconds is omitted', () => {
      const now = Math.floor(Date.now() / 1000);
      const headers = { id: ID, timestamp: String(now), signature: signWebhook(SECRET_A, ID, now, BODY) };
      expect(() => verifierFor(SECRET_A).verify(BODY, headers)).not.toThrow();
    });

    it('an empty body', () => {
      const empty = Buffer.alloc(0);
      const headers = { id: ID, timestamp: String(NOW), signature: signWebhook(SECRET_A, ID, NOW, empty) };
      expect(() => verifierFor(SECRET_A).verify(empty, headers, NOW)).not.toThrow();
    });

    it('a body that is not valid UTF-8 (the raw bytes are signed, not a decoded string)', () => {
      const body = Buffer.from([0xc3, 0x28, 0xff, 0x00, 0xed, 0xa0, 0x80]);
      const headers = { id: ID, timestamp: String(NOW), signature: signWebhook(SECRET_A, ID, NOW, body) };
      const verifier = verifierFor(SECRET_A);
      expect(() => verifier.verify(body, headers, NOW)).not.toThrow();
      // The same body after a lossy UTF-8 round trip must not verify.
      const lossy = Buffer.from(body.toString('utf8'), 'utf8');
      expect(lossy.equals(body)).toBe(false);
      expectCheck(() => verifier.verify(lossy, headers, NOW), 'signature_mismatch');
    });

    it.each([
      ['valid signature first', (good: string) => `${good} ${bogusV1()}`],
      ['valid signature last', (good: string) => `${bogusV1(1)} ${bogusV1(2)} ${good}`],
      ['other versions around it', (good: string) => `v1a,${'A'.repeat(44)} ${good} v2,whatever`],
      ['malformed v1 entries around it', (good: string) => `v1,!!! v1, ${good} v1,AAAA`],
      ['repeated spaces between entries', (good: string) => `  ${bogusV1()}   ${good}  `],
      ['the same valid entry twice', (good: string) => `${good} ${good}`],
    ])('multiple signatures in the header: %s', (_label, build) => {
      const good = signWebhook(SECRET_A, ID, NOW, BODY);
      expect(() =>
        verifierFor(SECRET_A).verify(BODY, headersFor(SECRET_A, { signature: build(good) }), NOW),
      ).not.toThrow();
    });

    it(`a valid signature at entry #${MAX_SIGNATURE_ENTRIES} (the last one considered)`, () => {
      const good = signWebhook(SECRET_A, ID, NOW, BODY);
      const entries = Array.from({ length: MAX_SIGNATURE_ENTRIES - 1 }, (_, i) => bogusV1(i));
      const signature = [...entries, good].join(' ');
      expect(() => verifierFor(SECRET_A).verify(BODY, headersFor(SECRET_A, { signature }), NOW)).not.toThrow();
    });

    it('timestamps exactly at the tolerance boundary, both directions', () => {
      const verifier = verifierFor(SECRET_A);
      for (const ts of [NOW - 300, NOW + 300]) {
        const headers = { id: ID, timestamp: String(ts), signature: signWebhook(SECRET_A, ID, ts, BODY) };
        expect(() => verifier.verify(BODY, headers, NOW)).not.toThrow();
      }
    });
  });

  describe('key rotation', () => {
    const verifier = verifierFor(SECRET_A, SECRET_B);

    it.each([
      ['the first secret', SECRET_A],
      ['the second secret', SECRET_B],
    ])('accepts a request signed with %s', (_label, secret) => {
      expect(() => verifier.verify(BODY, headersFor(secret), NOW)).not.toThrow();
    });

    it('accepts a header carrying signatures from both old and new secrets', () => {
      const signature = `${signWebhook(SECRET_B, ID, NOW, BODY)} ${signWebhook(SECRET_A, ID, NOW, BODY)}`;
      expect(() => verifier.verify(BODY, headersFor(SECRET_A, { signature }), NOW)).not.toThrow();
    });

    it('rejects a request signed with a secret that is not configured', () => {
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_C), NOW), 'signature_mismatch');
    });

    it('computes each key digest at most once per request, over the raw buffer', () => {
      // Build every request first: signWebhook computes HMACs too. Spying on the Hmac prototype works
      // whichever module system the code under test was loaded with.
      const signature = Array.from({ length: MAX_SIGNATURE_ENTRIES }, (_, i) => bogusV1(i)).join(' ');
      const mismatching = headersFor(SECRET_A, { signature });
      const matchingSecond = headersFor(SECRET_B);
      const malformed = headersFor(SECRET_A, { signature: 'v1,@@@' });
      const body = Buffer.from(BODY);
      body.toString = () => {
        throw new Error('the body must not be converted to a string');
      };
      const digests = jest.spyOn(crypto.Hmac.prototype, 'digest');
      const updates = jest.spyOn(crypto.Hmac.prototype, 'update');
      try {
        expectCheck(() => verifier.verify(body, mismatching, NOW), 'signature_mismatch');
        expect(digests).toHaveBeenCalledTimes(2); // two keys, ten candidate signatures
        // The body goes to the HMAC as the very same Buffer, never as a string.
        expect(updates.mock.calls.filter(([data]) => (data as unknown) === body)).toHaveLength(2);

        digests.mockClear();
        expect(() => verifier.verify(body, matchingSecond, NOW)).not.toThrow();
        expect(digests.mock.calls.length).toBeLessThanOrEqual(2);

        digests.mockClear();
        expectCheck(() => verifier.verify(body, malformed, NOW), 'signature_malformed');
        expect(digests).not.toHaveBeenCalled(); // no HMAC work for a header with nothing to compare
      } finally {
        digests.mockRestore();
        updates.mockRestore();
      }
    });
  });

  describe('tampering', () => {
    const verifier = verifierFor(SECRET_A);

    it('rejects a modified body', () => {
      const tampered = Buffer.from(BODY.toString('utf8').replace('1200', '9200'));
      expectCheck(() => verifier.verify(tampered, headersFor(SECRET_A), NOW), 'signature_mismatch');
    });

    it('rejects a body with a trailing newline added', () => {
      expectCheck(
        () => verifier.verify(Buffer.concat([BODY, Buffer.from('\n')]), headersFor(SECRET_A), NOW),
        'signature_mismatch',
      );
    });

    it('rejects a modified id', () => {
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A, { id: `${ID}x` }), NOW), 'signature_mismatch');
    });

    it('rejects a modified timestamp (still within tolerance)', () => {
      expectCheck(
        () => verifier.verify(BODY, headersFor(SECRET_A, { timestamp: String(NOW + 1) }), NOW),
        'signature_mismatch',
      );
    });

    it('rejects a timestamp with leading zeros (the header is signed verbatim)', () => {
      expectCheck(
        () => verifier.verify(BODY, headersFor(SECRET_A, { timestamp: `0${NOW}` }), NOW),
        'signature_mismatch',
      );
    });

    it('rejects a signature that is correct for a different secret', () => {
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_B), NOW), 'signature_mismatch');
    });

    it('rejects a signature with a single flipped bit', () => {
      const good = signWebhook(SECRET_A, ID, NOW, BODY);
      const bytes = Buffer.from(good.slice(3), 'base64');
      bytes[31] ^= 0x01;
      const signature = `v1,${bytes.toString('base64')}`;
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A, { signature }), NOW), 'signature_mismatch');
    });

    it('rejects any single-byte change to the body (property)', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 256 }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (bytes, position, delta) => {
            const body = Buffer.from(bytes);
            const headers = { id: ID, timestamp: String(NOW), signature: signWebhook(SECRET_A, ID, NOW, body) };
            verifier.verify(body, headers, NOW);
            const tampered = Buffer.from(body);
            const index = position % tampered.length;
            tampered[index] = (tampered[index] + delta) & 0xff;
            expect(captureError(() => verifier.verify(tampered, headers, NOW)).check).toBe('signature_mismatch');
          },
        ),
        { numRuns: 200 },
      );
    });

    it(`ignores entries beyond the first ${MAX_SIGNATURE_ENTRIES}`, () => {
      const good = signWebhook(SECRET_A, ID, NOW, BODY);
      const filler = Array.from({ length: MAX_SIGNATURE_ENTRIES }, (_, i) => bogusV1(i));
      expectCheck(
        () => verifier.verify(BODY, headersFor(SECRET_A, { signature: [...filler, good].join(' ') }), NOW),
        'signature_mismatch',
      );
      const otherVersions = Array.from({ length: MAX_SIGNATURE_ENTRIES }, (_, i) => `v9,${i}`);
      expectCheck(
        () => verifier.verify(BODY, headersFor(SECRET_A, { signature: [...otherVersions, good].join(' ') }), NOW),
        'signature_malformed',
      );
    });
  });

  describe('missing_headers', () => {
    const verifier = verifierFor(SECRET_A);

    it.each<[string, Partial<SignatureHeaders>, string[]]>([
      ['id absent', { id: undefined }, ['webhook-id']],
      ['id empty', { id: '' }, ['webhook-id']],
      ['timestamp absent', { timestamp: undefined }, ['webhook-timestamp']],
      ['timestamp empty', { timestamp: '' }, ['webhook-timestamp']],
      ['signature absent', { signature: undefined }, ['webhook-signature']],
      ['signature empty', { signature: '' }, ['webhook-signature']],
      ['id and signature', { id: undefined, signature: '' }, ['webhook-id', 'webhook-signature']],
      [
        'all three',
        { id: undefined, timestamp: undefined, signature: undefined },
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
      ],
    ])('%s', (_label, overrides, named) => {
      const error = expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A, overrides), NOW), 'missing_headers');
      for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        if (named.includes(header)) expect(error.message).toContain(header);
        else expect(error.message).not.toContain(header);
      }
    });

    it('with an empty headers object', () => {
      const error = expectCheck(() => verifier.verify(BODY, {}, NOW), 'missing_headers');
      expect(error.message).toBe('Missing webhook header(s): webhook-id, webhook-timestamp, webhook-signature');
    });

    it('is checked before the timestamp and the signature', () => {
      expectCheck(
        () => verifier.verify(BODY, { id: '', timestamp: 'garbage', signature: 'garbage' }, NOW),
        'missing_headers',
      );
    });
  });

  describe('timestamp_invalid', () => {
    const verifier = verifierFor(SECRET_A);

    it.each([
      'abc',
      '1614265330.5',
      '1.6e9',
      '0x5f5e100',
      '+1614265330',
      ' 1614265330',
      '1614265330 ',
      '16142 65330',
      '-',
      '١٢٣',
    ])('%p', (timestamp) => {
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A, { timestamp }), NOW), 'timestamp_invalid');
    });

    it('is checked before the signature', () => {
      expectCheck(
        () => verifier.verify(BODY, headersFor(SECRET_A, { timestamp: 'soon', signature: 'junk' }), NOW),
        'timestamp_invalid',
      );
    });
  });

  describe('timestamp tolerance', () => {
    it.each<[string, number, SignatureCheck]>([
      ['one second too old', NOW - 301, 'timestamp_too_old'],
      ['far in the past', 0, 'timestamp_too_old'],
      ['negative', -5, 'timestamp_too_old'],
      ['one second too new', NOW + 301, 'timestamp_too_new'],
      ['far in the future', NOW + 86_400, 'timestamp_too_new'],
    ])('%s', (_label, ts, check) => {
      const headers = { id: ID, timestamp: String(ts), signature: bogusV1() };
      expectCheck(() => verifierFor(SECRET_A).verify(BODY, headers, NOW), check);
    });

    it('treats an absurdly large integer as too new', () => {
      const headers = { id: ID, timestamp: '9'.repeat(400), signature: bogusV1() };
      expectCheck(() => verifierFor(SECRET_A).verify(BODY, headers, NOW), 'timestamp_too_new');
    });

    it('honours a custom tolerance in both directions', () => {
      const verifier = new StandardWebhooksVerifier(parseWebhookSecrets(SECRET_A), 10);
      const at = (ts: number) => ({ id: ID, timestamp: String(ts), signature: signWebhook(SECRET_A, ID, ts, BODY) });
      expect(() => verifier.verify(BODY, at(NOW - 10), NOW)).not.toThrow();
      expect(() => verifier.verify(BODY, at(NOW + 10), NOW)).not.toThrow();
      expectCheck(() => verifier.verify(BODY, at(NOW - 11), NOW), 'timestamp_too_old');
      expectCheck(() => verifier.verify(BODY, at(NOW + 11), NOW), 'timestamp_too_new');
    });

    it('with zero tolerance only accepts the exact second', () => {
      const verifier = new StandardWebhooksVerifier(parseWebhookSecrets(SECRET_A), 0);
      expect(() => verifier.verify(BODY, headersFor(SECRET_A), NOW)).not.toThrow();
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A), NOW + 1), 'timestamp_too_old');
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A), NOW - 1), 'timestamp_too_new');
    });

    it('checks the timestamp before the signature (a stale but correctly signed request fails)', () => {
      expectCheck(() => verifierFor(SECRET_A).verify(BODY, headersFor(SECRET_A), NOW + 301), 'timestamp_too_old');
    });
  });

  describe('signature_malformed', () => {
    const verifier = verifierFor(SECRET_A);
    const good = signWebhook(SECRET_A, ID, NOW, BODY);

    it.each([
      ['no comma', 'garbage'],
      ['empty v1 value', 'v1,'],
      ['only spaces', '   '],
      ['not base64', 'v1,!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'],
      ['truncated signature', good.slice(0, -2)],
      ['signature with padding removed', good.slice(0, -1)],
      ['too long (64-byte value)', `v1,${Buffer.alloc(64, 1).toString('base64')}`],
      ['base64url alphabet', `v1,${Buffer.alloc(32, 0xfb).toString('base64url')}=`],
      ['only another version (correct bytes under v1a)', `v1a,${good.slice(3)}`],
      ['only unknown versions', 'v2,abc v0,def'],
      ['uppercase version', `V1,${good.slice(3)}`],
      ['comma-separated instead of space-separated', `${bogusV1()},${good}`],
    ])('%s', (_label, signature) => {
      expectCheck(() => verifier.verify(BODY, headersFor(SECRET_A, { signature }), NOW), 'signature_malformed');
    });
  });

  describe('signature_mismatch', () => {
    it('a well-formed v1 signature that matches no key', () => {
      expectCheck(
        () => verifierFor(SECRET_A).verify(BODY, headersFor(SECRET_A, { signature: bogusV1() }), NOW),
        'signature_mismatch',
      );
    });

    it('a v1 signature computed with the secret string itself instead of the decoded key', () => {
      const wrong = crypto.createHmac('sha256', SECRET_A).update(`${ID}.${NOW}.`).update(BODY).digest('base64');
      expectCheck(
        () => verifierFor(SECRET_A).verify(BODY, headersFor(SECRET_A, { signature: `v1,${wrong}` }), NOW),
        'signature_mismatch',
      );
    });
  });

  describe('error messages', () => {
    it('never contain the secret, the key bytes, the expected signature or received header values', () => {
      const verifier = verifierFor(SECRET_A);
      const expected = signWebhook(SECRET_A, ID, NOW, BODY);
      const secretBody = SECRET_A.slice('whsec_'.length);
      const cases: Array<[SignatureHeaders, number]> = [
        [{}, NOW],
        [{ ...headersFor(SECRET_A), timestamp: 'bad-ts' }, NOW],
        [headersFor(SECRET_A), NOW + 10_000],
        [headersFor(SECRET_A), NOW - 10_000],
        [headersFor(SECRET_A, { signature: 'v1,zzz' }), NOW],
        [headersFor(SECRET_A, { signature: bogusV1() }), NOW],
        [headersFor(SECRET_B), NOW],
      ];
      for (const [headers, now] of cases) {
        const error = captureError(() => verifier.verify(BODY, headers, now));
        for (const forbidden of [
          SECRET_A,
          secretBody,
          expected,
          expected.slice(3),
          ID,
          bogusV1().slice(3),
          'bad-ts',
          'zzz',
        ]) {
          expect(error.message).not.toContain(forbidden);
        }
        expect(error.message.length).toBeGreaterThan(10);
      }
    });
  });

  describe('construction', () => {
    it('requires at least one key', () => {
      expect(() => new StandardWebhooksVerifier([])).toThrow(/at least one key/);
    });

    it('rejects an empty key buffer', () => {
      expect(() => new StandardWebhooksVerifier([Buffer.alloc(16, 1), Buffer.alloc(0)])).toThrow(/key #2/);
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects tolerance %p', (tolerance) => {
      expect(() => new StandardWebhooksVerifier([Buffer.alloc(16, 1)], tolerance)).toThrow(/toleranceSeconds/);
    });

    it('is not affected by later mutation of the key buffers passed in', () => {
      const keys = parseWebhookSecrets(SECRET_A);
      const verifier = new StandardWebhooksVerifier(keys);
      keys[0].fill(0);
      expect(() => verifier.verify(BODY, headersFor(SECRET_A), NOW)).not.toThrow();
    });
  });
});

describe('WebhookSignatureError', () => {
  it('is an Error carrying the failed check', () => {
    const error = new WebhookSignatureError('signature_mismatch', 'nope');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(WebhookSignatureError);
    expect(error.name).toBe('WebhookSignatureError');
    expect(error.check).toBe('signature_mismatch');
    expect(error.message).toBe('nope');
    expect(error.stack).toContain('WebhookSignatureError');
  });
});

describe('parseWebhookSecrets', () => {
  it.each([undefined, '', '   ', '\n\t '])('returns [] for %p', (value) => {
    expect(parseWebhookSecrets(value)).toEqual([]);
  });

  it('decodes a whsec_ secret to the key bytes', () => {
    const [key] = parseWebhookSecrets(KAT.secret);
    expect(key).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    expect(key).toHaveLength(24);
  });

  it('accepts a bare base64 secret', () => {
    expect(parseWebhookSecrets('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toEqual(parseWebhookSecrets(KAT.secret));
  });

  it('accepts padded and unpadded base64', () => {
    const key = Buffer.from([1, 2, 3, 4, 5]);
    expect(parseWebhookSecrets(`whsec_${key.toString('base64')}`)).toEqual([key]); // AQIDBAU=
    expect(parseWebhookSecrets(`whsec_${key.toString('base64').replace(/=+$/, '')}`)).toEqual([key]);
  });

  it('parses several secrets separated by any whitespace, in order', () => {
    const keys = parseWebhookSecrets(`  ${SECRET_A}\t${SECRET_B}\n ${SECRET_C.slice(6)}  `);
    expect(keys).toEqual([SECRET_A, SECRET_B, SECRET_C].map((s) => Buffer.from(s.slice(6), 'base64')));
  });

  it.each([
    ['prefix only', 'whsec_'],
    ['invalid characters', 'whsec_abc$def'],
    ['base64url characters', 'whsec_abc-def_'],
    ['impossible length', 'whsec_abcde'],
    ['padding in the wrong place', 'whsec_ab=c'],
    ['too much padding', 'whsec_a==='],
    ['padding on a wrong-length value', 'whsec_abcde=='],
    ['whsec prefix with wrong case', 'WHSEC_abcd'],
  ])('names the invalid entry by position (%s) without echoing it', (_label, bad) => {
    let message = '';
    try {
      parseWebhookSecrets(`${SECRET_A} ${bad} ${SECRET_B}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WEBHOOK_SECRET entry #2 of 3/);
    const secretPart = bad.replace(/^whsec_/i, '');
    if (secretPart !== '') expect(message).not.toContain(secretPart);
    expect(message).not.toContain(SECRET_A.slice(6));
    expect(message).not.toContain(SECRET_B.slice(6));
  });

  it('reports the first invalid entry', () => {
    expect(() => parseWebhookSecrets('!!! ???')).toThrow(/entry #1 of 2/);
  });
});
