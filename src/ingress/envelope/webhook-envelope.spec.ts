import fc from 'fast-check';
import {
  hasUnstorableJsonEscapes,
  MAX_ID_LENGTH,
  parseEnvelope,
  type EnvelopeParseResult,
} from './webhook-envelope.js';
import { EVENT_TYPE_PATTERN, MAX_TYPE_LENGTH } from '../../shared/event-type.js';

const FIELD_NAMES = ['body', 'type', 'data', 'id', 'created_at'];

/** Asserts the documented result shape and returns it. */
function expectWellFormedResult(input: unknown, result: EnvelopeParseResult): EnvelopeParseResult {
  if (result.ok) {
    expect(result.envelope).toBe(input);
  } else {
    expect(Array.isArray(result.errors)).toBe(true);
    expect(result.errors.length).toBeGreaterThan(0);
    for (const message of result.errors) {
      expect(typeof message).toBe('string');
      expect(FIELD_NAMES).toContain(message.split(' ')[0]);
    }
  }
  return result;
}

function errorsOf(body: unknown): string[] {
  const result = parseEnvelope(body);
  if (result.ok) throw new Error(`expected errors for ${JSON.stringify(body)}`);
  return result.errors;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

const valid = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'invoice.paid',
  data: { amount: 1200 },
  ...extra,
});

describe('constants', () => {
  it('have the documented values', () => {
    expect(MAX_TYPE_LENGTH).toBe(128);
    expect(MAX_ID_LENGTH).toBe(255);
    expect(EVENT_TYPE_PATTERN.test('customer.subscription:updated_v2-beta')).toBe(true);
    expect(EVENT_TYPE_PATTERN.test('a b')).toBe(false);
  });
});

describe('parseEnvelope', () => {
  describe('accepts', () => {
    it.each<[string, Record<string, unknown>]>([
      ['minimal envelope', { type: 'invoice.paid', data: {} }],
      [
        'full envelope',
        { id: 'evt_123', type: 'invoice.paid', data: { amount: 1 }, created_at: '2026-11-30T10:00:00Z' },
      ],
      ['extra top-level fields', valid({ api_version: '2026-01-01', livemode: false, attempt: 3, meta: null })],
      ['every allowed type character', valid({ type: 'AZaz09_.:-' })],
      ['single-character type', valid({ type: 'x' })],
      [`type of exactly ${MAX_TYPE_LENGTH} characters`, valid({ type: 'a'.repeat(MAX_TYPE_LENGTH) })],
      ['single-character id', valid({ id: 'x' })],
      [`id of exactly ${MAX_ID_LENGTH} characters`, valid({ id: 'i'.repeat(MAX_ID_LENGTH) })],
      ['id with any characters', valid({ id: 'évt 1/2:3 😀' })],
      ['nested data', valid({ data: { a: [1, { b: null }], c: { d: 'e' } } })],
      ['data with a null prototype', valid({ data: Object.assign(Object.create(null) as object, { a: 1 }) })],
      ['id explicitly undefined (absent)', valid({ id: undefined })],
      ['created_at explicitly undefined (absent)', valid({ created_at: undefined })],
    ])('%s', (_label, body) => {
      const result = parseEnvelope(body);
      expect(result).toEqual({ ok: true, envelope: body });
      expect(result.ok && result.envelope).toBe(body);
    });

    it('a body with a null prototype (as some JSON parsers produce)', () => {
      const body = Object.assign(Object.create(null) as object, { type: 'a', data: {} });
      expect(parseEnvelope(body)).toEqual({ ok: true, envelope: body });
    });

    it('bodies straight from JSON.parse', () => {
      const body: unknown = JSON.parse('{"id":"evt_1","type":"a.b","data":{"x":[1,2]},"created_at":"2026-11-30"}');
      expect(parseEnvelope(body)).toEqual({ ok: true, envelope: body });
    });

    it.each([
      '2026-11-30T10:00:00Z',
      '2026-11-30T10:00:00.1Z',
      '2026-11-30T10:00:00.123Z',
      '2026-11-30T10:00:00.123456789Z',
      '2026-11-30T10:00:00+02:00',
      '2026-11-30T10:00:00-05:30',
      '2026-11-30T10:00:00.5+14:00',
      '2026-11-30T10:00:00-12:00',
      '2026-11-30T10:00:00',
      '2026-11-30T10:00Z',
      '2026-11-30T10:00',
      '2026-11-30t10:00:00z',
      '2026-11-30T23:59:59Z',
      '2026-11-30T00:00:00Z',
      '2026-11-30',
      '2024-02-29',
      '2000-02-29',
      '2026-01-31',
      '2026-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ])('created_at %p', (createdAt) => {
      expect(parseEnvelope(valid({ created_at: createdAt })).ok).toBe(true);
    });

    it('without mutating a (deeply frozen) input', () => {
      const body = deepFreeze(valid({ id: 'evt_1', created_at: '2026-11-30', extra: { nested: [1] } }));
      const before = JSON.stringify(body);
      expect(parseEnvelope(body)).toEqual({ ok: true, envelope: body });
      expect(JSON.stringify(body)).toBe(before);
    });
  });

  describe('refuses a body that is not a JSON object', () => {
    class Envelope {
      type = 'a';
      data = {};
    }
    it.each<[string, unknown]>([
      ['null', null],
      ['undefined', undefined],
      ['an empty array', []],
      ['an array holding an envelope', [valid()]],
      ['a string', '{"type":"a","data":{}}'],
      ['an empty string', ''],
      ['a number', 42],
      ['NaN', Number.NaN],
      ['a boolean', true],
      ['a bigint', 10n],
      ['a symbol', Symbol('x')],
      ['a function', () => valid()],
      ['a Buffer', Buffer.from('{"type":"a","data":{}}')],
      ['a Date', new Date()],
      ['a Map', new Map(Object.entries(valid()))],
      ['a class instance', new Envelope()],
      ['an object inheriting the fields', Object.create(valid()) as object],
    ])('%s', (_label, body) => {
      expect(parseEnvelope(body)).toEqual({ ok: false, errors: ['body must be a JSON object'] });
    });
  });

  describe('type', () => {
    it.each<[string, unknown, string]>([
      ['missing', undefined, 'type is required'],
      ['empty', '', 'type must be a non-empty string'],
      ['a number', 42, 'type must be a non-empty string'],
      ['null', null, 'type must be a non-empty string'],
      ['a boolean', true, 'type must be a non-empty string'],
      ['an object', { name: 'invoice.paid' }, 'type must be a non-empty string'],
      ['an array', ['invoice.paid'], 'type must be a non-empty string'],
      ['too long', 'a'.repeat(MAX_TYPE_LENGTH + 1), `type must be at most ${MAX_TYPE_LENGTH} characters`],
      [
        'too long and bad characters (one message)',
        ' '.repeat(500),
        `type must be at most ${MAX_TYPE_LENGTH} characters`,
      ],
      ['containing a space', 'invoice paid', 'type must contain only letters, digits, "_", ".", ":", "/" and "-"'],
      ['whitespace only', ' ', 'type must contain only letters, digits, "_", ".", ":", "/" and "-"'],
      ['containing a comma', 'a,b', 'type must contain only letters, digits, "_", ".", ":", "/" and "-"'],
      [
        'with a trailing newline',
        'invoice.paid\n',
        'type must contain only letters, digits, "_", ".", ":", "/" and "-"',
      ],
      [
        'with a NUL character',
        'invoice\u0000paid',
        'type must contain only letters, digits, "_", ".", ":", "/" and "-"',
      ],
      ['with non-ASCII letters', 'facture.payée', 'type must contain only letters, digits, "_", ".", ":", "/" and "-"'],
      ['with an emoji', 'invoice.😀', 'type must contain only letters, digits, "_", ".", ":", "/" and "-"'],
      ['with a wildcard', 'invoice.*', 'type must contain only letters, digits, "_", ".", ":", "/" and "-"'],
    ])('%s', (_label, type, message) => {
      const body = type === undefined ? { data: {} } : { type, data: {} };
      expect(errorsOf(body)).toEqual([message]);
    });
  });

  describe('data', () => {
    it.each<[string, unknown, string]>([
      ['missing', undefined, 'data is required'],
      ['null', null, 'data must be a JSON object'],
      ['an array', [], 'data must be a JSON object'],
      ['an array of objects', [{ a: 1 }], 'data must be a JSON object'],
      ['a string', '{"a":1}', 'data must be a JSON object'],
      ['a number', 0, 'data must be a JSON object'],
      ['a boolean', false, 'data must be a JSON object'],
      ['a Date', new Date(), 'data must be a JSON object'],
    ])('%s', (_label, data, message) => {
      const body = data === undefined ? { type: 'a' } : { type: 'a', data };
      expect(errorsOf(body)).toEqual([message]);
    });
  });

  describe('id', () => {
    it.each<[string, unknown, string]>([
      ['a number', 42, 'id must be a string'],
      ['zero', 0, 'id must be a string'],
      ['null', null, 'id must be a string'],
      ['a boolean', false, 'id must be a string'],
      ['an object', { value: 'evt_1' }, 'id must be a string'],
      ['an array', ['evt_1'], 'id must be a string'],
      ['empty', '', 'id must be a non-empty string'],
      ['too long', 'i'.repeat(MAX_ID_LENGTH + 1), `id must be at most ${MAX_ID_LENGTH} characters`],
      // Lengths are UTF-16 code units, so anything accepted also fits varchar(255) (which counts code points).
      ['too long in UTF-16 units', '😀'.repeat(128), `id must be at most ${MAX_ID_LENGTH} characters`],
    ])('%s', (_label, id, message) => {
      expect(errorsOf(valid({ id }))).toEqual([message]);
    });
  });

  describe('created_at', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['a number (epoch seconds)', 1_764_496_800],
      ['a Date object', new Date('2026-11-30T10:00:00Z')],
      ['empty', ''],
      ['30 February', '2026-02-30'],
      ['30 February with a time', '2026-02-30T10:00:00Z'],
      ['29 February in a common year', '2026-02-29'],
      ['29 February in 1900', '1900-02-29'],
      ['31 November', '2026-11-31T10:00:00Z'],
      ['31 April', '2026-04-31'],
      ['month 13', '2026-13-01'],
      ['month 00', '2026-00-10'],
      ['day 00', '2026-11-00'],
      ['day 32', '2026-01-32'],
      ['hour 24', '2026-11-30T24:00:00Z'],
      ['hour 25', '2026-11-30T25:00:00Z'],
      ['minute 60', '2026-11-30T10:60:00Z'],
      ['leap second', '2026-12-31T23:59:60Z'],
      ['year 0000 (Postgres refuses it)', '0000-01-01'],
      ['five-digit year', '12026-11-30'],
      ['expanded year', '+002026-11-30T10:00:00Z'],
      ['space separator', '2026-11-30 10:00:00Z'],
      ['hour only', '2026-11-30T10'],
      ['hour and minute without colon', '2026-11-30T1000Z'],
      ['offset without colon', '2026-11-30T10:00:00+0200'],
      ['offset hours only', '2026-11-30T10:00:00+02'],
      ['offset beyond Postgres limits', '2026-11-30T10:00:00+16:00'],
      ['offset minute 60', '2026-11-30T10:00:00+02:60'],
      ['ten fraction digits', '2026-11-30T10:00:00.1234567890Z'],
      ['empty fraction', '2026-11-30T10:00:00.Z'],
      ['comma fraction', '2026-11-30T10:00:00,5Z'],
      ['trailing garbage', '2026-11-30T10:00:00Zjunk'],
      ['trailing newline', '2026-11-30T10:00:00Z\n'],
      ['leading space', ' 2026-11-30'],
      ['time only', 'T10:00:00Z'],
      ['week date', '2026-W48-1'],
      ['ordinal date', '2026-334'],
      ['basic format', '20261130T100000Z'],
      ['year-month only', '2026-11'],
      ['human date', '30/11/2026'],
      ['RFC 2822', 'Mon, 30 Nov 2026 10:00:00 GMT'],
      ['words', 'yesterday'],
      ['non-ASCII digits', '٢٠٢٦-١١-٣٠'],
    ])('%s', (_label, createdAt) => {
      expect(errorsOf(valid({ created_at: createdAt }))).toEqual(['created_at must be an ISO-8601 date-time']);
    });
  });

  describe('error collection', () => {
    it('reports every violated field, one message each, in field order', () => {
      expect(errorsOf({ type: 5, data: [], id: 7, created_at: 'soon' })).toEqual([
        'type must be a non-empty string',
        'data must be a JSON object',
        'id must be a string',
        'created_at must be an ISO-8601 date-time',
      ]);
    });

    it('reports both required fields when the object is empty', () => {
      expect(errorsOf({})).toEqual(['type is required', 'data is required']);
    });

    it('ignores unknown fields when reporting', () => {
      expect(errorsOf({ type: 'a', data: null, extra: Symbol('s'), nested: { type: 5 } })).toEqual([
        'data must be a JSON object',
      ]);
    });

    it('does not read fields from Object.prototype', () => {
      const proto = Object.prototype as Record<string, unknown>;
      Object.defineProperty(proto, 'data', { value: {}, configurable: true, writable: true });
      try {
        expect(errorsOf({ type: 'a' })).toEqual(['data is required']);
      } finally {
        delete proto.data;
      }
    });
  });

  describe('never throws on exotic input', () => {
    it('an object whose getter throws', () => {
      const body = {
        data: {},
        get type(): string {
          throw new Error('boom');
        },
      };
      expect(parseEnvelope(body)).toEqual({ ok: false, errors: ['body could not be read as a JSON object'] });
    });

    it('a proxy whose traps throw', () => {
      const body = new Proxy(valid(), {
        get() {
          throw new Error('boom');
        },
        getOwnPropertyDescriptor() {
          throw new Error('boom');
        },
      });
      expectWellFormedResult(body, parseEnvelope(body));
    });

    it('a revoked proxy', () => {
      const { proxy, revoke } = Proxy.revocable(valid(), {});
      revoke();
      expectWellFormedResult(proxy, parseEnvelope(proxy));
    });
  });

  describe('properties', () => {
    const NUM_RUNS = 500;

    it('never throws for fc.anything()', () => {
      fc.assert(
        fc.property(
          fc.anything({
            withBigInt: true,
            withBoxedValues: true,
            withDate: true,
            withMap: true,
            withNullPrototype: true,
            withSet: true,
            withSparseArray: true,
            withTypedArray: true,
          }),
          (value) => {
            expectWellFormedResult(value, parseEnvelope(value));
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it('never throws for fc.jsonValue(), and never mutates it', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const before = JSON.stringify(value);
          expectWellFormedResult(value, parseEnvelope(value));
          expect(JSON.stringify(value)).toBe(before);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    const validEnvelope = fc.record(
      {
        type: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/),
        data: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
        id: fc.string({ minLength: 1, maxLength: MAX_ID_LENGTH }),
        created_at: fc.oneof(
          fc
            .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
            .map((d) => d.toISOString()),
          fc
            .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
            .map((d) => d.toISOString().slice(0, 10)),
        ),
        extra: fc.jsonValue(),
      },
      { requiredKeys: ['type', 'data'] },
    );

    it('accepts every generated valid envelope, returning the same object', () => {
      fc.assert(
        fc.property(validEnvelope, (envelope) => {
          const result = parseEnvelope(deepFreeze(envelope));
          expect(result.ok).toBe(true);
          expect(result.ok && result.envelope).toBe(envelope);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('survives one field of a valid envelope replaced by anything', () => {
      fc.assert(
        fc.property(
          validEnvelope,
          fc.constantFrom('type', 'data', 'id', 'created_at', 'extra', 'other'),
          fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true }),
          (envelope, field, replacement) => {
            const body: Record<string, unknown> = { ...envelope, [field]: replacement };
            const result = expectWellFormedResult(body, parseEnvelope(body));
            if (field === 'extra' || field === 'other') expect(result.ok).toBe(true);
            if (!result.ok) {
              expect(result.errors).toHaveLength(1);
              expect(result.errors[0].startsWith(`${field} `)).toBe(true);
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });
  });
});

describe('hasUnstorableJsonEscapes', () => {
  // Raw JSON text exactly as it arrives on the wire (String.raw keeps backslashes literal).
  // Every verdict on valid JSON below was checked against PostgreSQL 15 (`select $1::jsonb`), as were
  // ~10k generated texts; the few non-JSON inputs are refused by Postgres for syntax instead.
  const refused: Array<[string, string]> = [
    ['NUL escape in a value', String.raw`{"a":"\u0000"}`],
    ['NUL escape in a key', String.raw`{"\u0000":1}`],
    ['NUL escape mid-string', String.raw`{"a":"x\u0000y"}`],
    ['NUL escape after an escaped backslash', String.raw`{"a":"\\\u0000"}`],
    ['NUL escape after three escaped backslashes', String.raw`{"a":"\\\\\\\u0000"}`],
    ['NUL escape after other escapes', String.raw`{"a":"\n\t\"\u00e9","b":"\u0000"}`],
    ['NUL escape in a nested array', String.raw`{"a":{"b":["x","\u0000"]}}`],
    ['lone high surrogate', String.raw`{"a":"\ud83d"}`],
    ['lone high surrogate (upper case)', String.raw`{"a":"\uD83D"}`],
    ['lone high surrogate, lowest', String.raw`{"a":"\uD800"}`],
    ['lone low surrogate', String.raw`{"a":"\ude00"}`],
    ['lone low surrogate, highest', String.raw`{"a":"\uDFFF"}`],
    ['high surrogate followed by a plain character', String.raw`{"a":"\ud83dx"}`],
    ['high surrogate followed by a non-surrogate escape', String.raw`{"a":"\ud83d\u0041"}`],
    ['high surrogate followed by another escape', String.raw`{"a":"\ud83d\n"}`],
    ['high surrogate followed by an escaped backslash', String.raw`{"a":"\ud83d\\ude00"}`],
    ['two high surrogates then a low one', String.raw`{"a":"\ud83d\ud83d\ude00"}`],
    ['low surrogate before high surrogate', String.raw`{"a":"\ude00\ud83d"}`],
    ['valid pair followed by a lone low surrogate', String.raw`{"a":"\ud83d\ude00\ude00"}`],
    ['valid pair followed by a lone high surrogate', String.raw`{"a":"\ud83d\ude00\ud83d"}`],
    ['high surrogate then end of string', String.raw`{"a":"\ud83d","b":"\ude00"}`],
    ['high surrogate at the end of the buffer', String.raw`"\ud83d`],
    ['high surrogate then truncated escape', String.raw`"\ud83d\u`],
    ['high surrogate then malformed escape', String.raw`"\ud83d\uzzzz"`],
    ['lone surrogate in a key', String.raw`{"\udbff":1}`],
  ];
  const accepted: Array<[string, string]> = [
    ['empty buffer', ''],
    ['no escapes', '{"type":"a","data":{"x":"plain text"}}'],
    ['raw non-ASCII (including astral) characters', '{"a":"café 😀 𝄞"}'],
    ['escaped backslash followed by u0000', String.raw`{"a":"\\u0000"}`],
    ['two escaped backslashes followed by u0000', String.raw`{"a":"\\\\u0000"}`],
    ['text "u0000" without a backslash', '{"a":"u0000"}'],
    ['other single-character escapes', String.raw`{"a":"\n\t\r\b\f\"\/\\"}`],
    ['escaped backslash then a real escape', String.raw`{"a":"\\","b":"\u0041"}`],
    ['three escaped backslashes then u0041', String.raw`{"a":"\\\\\\\u0041"}`],
    ['control escape U+0001', String.raw`{"a":"\u0001"}`],
    ['BMP escapes', String.raw`{"a":"\u00e9\u20AC\uFFFD"}`],
    ['non-characters U+FFFE/U+FFFF', String.raw`{"a":"\ufffe\uffff"}`],
    ['escape just below the surrogates', String.raw`{"a":"\ud7ff"}`],
    ['escape just above the surrogates', String.raw`{"a":"\ue000"}`],
    ['valid surrogate pair', String.raw`{"a":"\ud83d\ude00"}`],
    ['valid surrogate pair (upper case)', String.raw`{"a":"\uD83D\uDE00"}`],
    ['valid surrogate pair (mixed case)', String.raw`{"a":"\uD83d\uDe00"}`],
    ['extreme valid pairs', String.raw`{"a":"\ud800\udc00\udbff\udfff"}`],
    ['consecutive valid pairs', String.raw`{"a":"\ud83d\ude00\ud83d\ude01"}`],
    ['valid pair in a key', String.raw`{"\ud83d\ude00":1}`],
    // Not valid JSON: left to the JSON parser (Postgres refuses them for syntax, not storage).
    ['malformed escape (left to the JSON parser)', String.raw`{"a":"\u00zz"}`],
    ['truncated escape at the end (left to the JSON parser)', String.raw`"\u00`],
  ];

  it.each(refused)('refuses: %s', (_label, text) => {
    expect(hasUnstorableJsonEscapes(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it.each(accepted)('accepts: %s', (_label, text) => {
    expect(hasUnstorableJsonEscapes(Buffer.from(text, 'utf8'))).toBe(false);
  });

  it('agrees with what JSON.parse produces: NUL or unpaired surrogates in the decoded strings', () => {
    for (const [, text] of [...refused, ...accepted]) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        continue; // not valid JSON
      }
      const bad = collectStrings(parsed).some((s) => s.includes('\u0000') || !isWellFormedUtf16(s));
      expect(hasUnstorableJsonEscapes(Buffer.from(text))).toBe(bad);
    }
  });

  it('finds an escape deep inside a large body', () => {
    const filler = 'x'.repeat(1_000_000);
    expect(hasUnstorableJsonEscapes(Buffer.from(`{"a":"${filler}","b":"\\u0000"}`))).toBe(true);
    expect(hasUnstorableJsonEscapes(Buffer.from(`{"a":"${filler}","b":"\\\\u0000"}`))).toBe(false);
  });

  it('handles long backslash runs', () => {
    const run = (n: number) => Buffer.from(`{"a":"${'\\'.repeat(n)}u0000"}`);
    expect(hasUnstorableJsonEscapes(run(10_000))).toBe(false);
    expect(hasUnstorableJsonEscapes(run(10_001))).toBe(true);
  });

  it('does not look past the end of a Buffer view into the underlying memory', () => {
    const backing = Buffer.from(String.raw`"\ud83d\ude00"`);
    const view = backing.subarray(0, 7); // `"\ud83d` — the pair's low half lies outside the view
    expect(hasUnstorableJsonEscapes(view)).toBe(true);
    const offsetView = Buffer.from(String.raw`\\u0000`).subarray(1); // `\u0000`: the escaping backslash is outside
    expect(hasUnstorableJsonEscapes(offsetView)).toBe(true);
  });

  describe('properties', () => {
    const NUM_RUNS = 500;

    it('never throws for arbitrary strings and buffers', () => {
      const escapeHeavy = fc.string({
        unit: fc.constantFrom('\\', 'u', 'd', 'D', '8', '0', 'c', 'e', 'f', 'x', '"', 'A'),
        maxLength: 60,
      });
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
            escapeHeavy.map((s) => Buffer.from(s)),
            fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          ),
          (raw) => {
            expect(typeof hasUnstorableJsonEscapes(raw)).toBe('boolean');
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    // A string of arbitrary UTF-16 code units, biased towards NUL and surrogates.
    const codeUnits = fc.array(
      fc.oneof(
        fc.constantFrom(0x0000, 0xd83d, 0xde00, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x005c, 0x0022, 0x0075),
        fc.integer({ min: 0, max: 0xffff }),
      ),
      { maxLength: 12 },
    );

    it('matches a model when every code unit may be written as a \\u escape (either case)', () => {
      fc.assert(
        fc.property(codeUnits, fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }), (units, styles) => {
          const value = String.fromCharCode(...units);
          const body = units
            .map((unit, i) => {
              const style = styles[i];
              if (style === 0) return JSON.stringify(String.fromCharCode(unit)).slice(1, -1); // the serializer's choice
              const hex = unit.toString(16).padStart(4, '0');
              return `\\u${style === 1 ? hex : hex.toUpperCase()}`;
            })
            .join('');
          const text = `{"k":"${body}"}`;
          expect((JSON.parse(text) as { k: string }).k).toBe(value); // the generator writes valid JSON
          const expected = value.includes('\u0000') || !isWellFormedUtf16(value);
          expect(hasUnstorableJsonEscapes(Buffer.from(text, 'utf8'))).toBe(expected);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('matches a model for JSON.stringify of arbitrary objects', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3 }), codeUnits, (value, units) => {
          const odd = String.fromCharCode(...units);
          const payload = { type: 'a', data: { value, odd, [odd]: 1 } };
          const text = JSON.stringify(payload);
          const expected = collectStrings(payload).some((s) => s.includes('\u0000') || !isWellFormedUtf16(s));
          expect(hasUnstorableJsonEscapes(Buffer.from(text, 'utf8'))).toBe(expected);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });
});

/** Every string (keys included) inside a JSON value. */
function collectStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      collectStrings(item, out);
    }
  }
  return out;
}

/** String.prototype.isWellFormed, written out (the ES2024 lib is not enabled). */
function isWellFormedUtf16(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}
