import { jest } from '@jest/globals';
import fc from 'fast-check';
import { RefusedContentException } from '../refused-content.exception.js';
import { JsonScan, parseJsonBody, scanJson, type JsonLimits } from './json-body.js';

const UNLIMITED: JsonLimits = { maxDepth: 1e9, maxKeys: 1e9, maxArrayItems: 1e9 };
const bytes = (text: string) => Buffer.from(text, 'utf8');
const scan = (text: string, limits: Partial<JsonLimits> = {}) => scanJson(bytes(text), { ...UNLIMITED, ...limits });

/** The reference: depth, keys and array items of a parsed value, counted the obvious way. */
function measure(value: unknown): { depth: number; keys: number; items: number } {
  if (typeof value !== 'object' || value === null) return { depth: 0, keys: 0, items: 0 };
  const children = Array.isArray(value) ? value : Object.values(value);
  const inner = children.map(measure);
  return {
    depth: 1 + Math.max(0, ...inner.map((m) => m.depth)),
    keys: (Array.isArray(value) ? 0 : children.length) + inner.reduce((n, m) => n + m.keys, 0),
    items: (Array.isArray(value) ? children.length : 0) + inner.reduce((n, m) => n + m.items, 0),
  };
}

function refusal(run: () => unknown): RefusedContentException {
  try {
    run();
  } catch (error) {
    if (error instanceof RefusedContentException) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('scanJson', () => {
  it.each([
    ['a scalar', '42', { depth: 0, keys: 0, items: 0 }],
    ['an empty object', '{}', { depth: 1, keys: 0, items: 0 }],
    ['an empty array with spaces', '[ \n\t ]', { depth: 1, keys: 0, items: 0 }],
    ['an envelope', '{"type":"a","data":{"x":[1,2,{"y":null}]}}', { depth: 4, keys: 4, items: 3 }],
    ['empty containers inside', '[[],{},[[]],{"a":{}}]', { depth: 3, keys: 1, items: 5 }],
    ['whitespace everywhere', ' { "a" : [ 1 , 2 ] , "b" : { } } ', { depth: 2, keys: 2, items: 2 }],
  ])('measures %s exactly', (_label, text, expected) => {
    expect(measure(JSON.parse(text))).toEqual(expected);
    const exact = { maxDepth: expected.depth, maxKeys: expected.keys, maxArrayItems: expected.items };
    expect(scan(text, exact)).toBe(JsonScan.ok);
    if (expected.depth > 0) expect(scan(text, { maxDepth: expected.depth - 1 })).toBe(JsonScan.tooDeep);
    if (expected.keys > 0) expect(scan(text, { maxKeys: expected.keys - 1 })).toBe(JsonScan.tooManyKeys);
    if (expected.items > 0) expect(scan(text, { maxArrayItems: expected.items - 1 })).toBe(JsonScan.tooManyArrayItems);
  });

  it('does not count brackets, colons, commas or quotes inside strings', () => {
    const text = JSON.stringify({ a: '[[[{{{:,,,:]]]}}}', 'b:[,': '\\"[', c: ['"', '\\', '\\\\"{'] });
    expect(measure(JSON.parse(text))).toEqual({ depth: 2, keys: 3, items: 3 });
    expect(scan(text, { maxDepth: 2, maxKeys: 3, maxArrayItems: 3 })).toBe(JsonScan.ok);
    expect(scan(text, { maxDepth: 1 })).toBe(JsonScan.tooDeep);
    expect(scan(text, { maxKeys: 2 })).toBe(JsonScan.tooManyKeys);
    expect(scan(text, { maxArrayItems: 2 })).toBe(JsonScan.tooManyArrayItems);
  });

  it('finds a "__proto__" key at any depth, also written with escapes, and only as a key', () => {
    expect(scan('{"__proto__":{}}')).toBe(JsonScan.protoKey);
    expect(scan('{"data":[{"x":{"__proto__" :1}}]}')).toBe(JsonScan.protoKey);
    expect(scan(String.raw`{"\u005f_proto__":1}`)).toBe(JsonScan.protoKey);
    expect(scan(String.raw`{"\u005F\u005F\u0070\u0072\u006F\u0074\u006F\u005F\u005F":1}`)).toBe(JsonScan.protoKey);
    expect(scan('{"a":"__proto__"}')).toBe(JsonScan.ok);
    expect(scan('["__proto__",1]')).toBe(JsonScan.ok);
    expect(scan('{"__proto__x":1,"x__proto__":2,"__proto_":3}')).toBe(JsonScan.ok);
    expect(scan(String.raw`{"\\u005f_proto__":1}`)).toBe(JsonScan.ok); // a backslash, then "u005f_proto__"
  });

  it('notes a "constructor" key (plain or escaped) for a look at its value', () => {
    expect(scan('{"constructor":{"prototype":{}}}')).toBe(JsonScan.constructorKey);
    expect(scan(String.raw`{"\u0063onstructor":1}`)).toBe(JsonScan.constructorKey);
    expect(scan('{"a":"constructor"}')).toBe(JsonScan.ok);
  });

  it('stops at the first limit passed, before reading the rest', () => {
    // The rest is not even JSON: the scan never looks at it.
    expect(scan(`${'['.repeat(10)}${'\u0000'.repeat(100)}`, { maxDepth: 5 })).toBe(JsonScan.tooDeep);
    expect(scan(`{"a":1,"b":2,"c":3,${'?'.repeat(100)}`, { maxKeys: 2 })).toBe(JsonScan.tooManyKeys);
  });

  it('finds the end of strings around the length where it switches to native searches', () => {
    // Escaped quotes and backslashes at every position near the switch (32 bytes).
    for (let length = 24; length <= 48; length++) {
      for (let at = 0; at < length; at++) {
        for (const escape of ['\\"', '\\\\', '\\u0022']) {
          const text = 'x'.repeat(at) + escape + 'y'.repeat(length - at);
          const json = `[{"${text}":["${text}",1]},2]`;
          expect(measure(JSON.parse(json))).toEqual({ depth: 3, keys: 1, items: 4 });
          expect(scan(json, { maxDepth: 3, maxKeys: 1, maxArrayItems: 4 })).toBe(JsonScan.ok);
          expect(scan(json, { maxArrayItems: 3 })).toBe(JsonScan.tooManyArrayItems);
          expect(scan(json, { maxKeys: 0 })).toBe(JsonScan.tooManyKeys);
        }
      }
    }
  });

  it('never throws, whatever the bytes', () => {
    const jsonish = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ':', ',', ' ', 'a', 'u', '0') });
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string({ unit: 'binary' })), fc.uint8Array(), (text, raw) => {
        for (const input of [bytes(text), Buffer.from(raw)]) {
          expect(Object.values(JsonScan)).toContain(scanJson(input, { maxDepth: 3, maxKeys: 3, maxArrayItems: 3 }));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the reference on arbitrary JSON, at the exact limits and one below', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined) ?? 'null';
        fc.pre(!text.includes('__proto__')); // a key the scan refuses before any limit
        const m = measure(JSON.parse(text));
        const exact = { maxDepth: m.depth, maxKeys: m.keys, maxArrayItems: m.items };
        expect([JsonScan.ok, JsonScan.constructorKey, JsonScan.protoKey]).toContain(scan(text, exact));
        if (m.depth > 0) expect(scan(text, { ...exact, maxDepth: m.depth - 1 })).toBe(JsonScan.tooDeep);
        if (m.keys > 0) expect(scan(text, { ...UNLIMITED, maxKeys: m.keys - 1 })).toBe(JsonScan.tooManyKeys);
        if (m.items > 0)
          expect(scan(text, { ...UNLIMITED, maxArrayItems: m.items - 1 })).toBe(JsonScan.tooManyArrayItems);
      }),
      { numRuns: 500 },
    );
  });

  it('stays linear on the inputs that would make a naive scan quadratic (megabytes, no timing)', () => {
    const size = 4 * 1024 * 1024;
    // Escaped quotes: each one found needs its backslashes counted.
    expect(scan(`{"a":"${'\\"'.repeat(size / 2)}"}`)).toBe(JsonScan.ok);
    // Long runs of backslashes before a quote.
    expect(scan(`["${'\\\\'.repeat(size / 2)}"]`)).toBe(JsonScan.ok);
    // Very deep nesting, and a very wide object (escaped keys of the length that is decoded).
    expect(scan('['.repeat(size), { maxDepth: 64 })).toBe(JsonScan.tooDeep);
    expect(scan(`${'['.repeat(size / 2)}${']'.repeat(size / 2)}`)).toBe(JsonScan.ok);
    const wide = `{${Array.from({ length: 50_000 }, (_, i) => `"\\u0061${String(i).padStart(8, '0')}":1`).join(',')}}`;
    expect(scan(wide, { maxKeys: 50_000 })).toBe(JsonScan.ok);
    expect(scan(wide, { maxKeys: 49_999 })).toBe(JsonScan.tooManyKeys);
  });

  it('reads only its own view of a larger buffer', () => {
    const backing = Buffer.from('[[["__proto__":1]]]');
    expect(scanJson(backing.subarray(2, 5), { ...UNLIMITED, maxDepth: 1 })).toBe(JsonScan.ok); // `["_`
    expect(scanJson(backing.subarray(3), UNLIMITED)).toBe(JsonScan.protoKey);
  });
});

describe('parseJsonBody', () => {
  const limits: JsonLimits = { maxDepth: 8, maxKeys: 20, maxArrayItems: 20 };

  it('returns what JSON.parse returns, parsing once', () => {
    const text = '{"id":"evt_1","type":"a.b","data":{"n":[1,2.5,"x",null,true]},"constructor":"Ford"}';
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(parseJsonBody(bytes(text), limits)).toEqual({ value: JSON.parse(text), text });
      expect(parse).toHaveBeenCalledTimes(2); // ours and the expectation's
    } finally {
      parse.mockRestore();
    }
  });

  it.each([
    ['an empty body', '', 'invalid_json', /body is empty/],
    ['a syntax error', '{"type":', 'invalid_json', /body is not valid JSON \(it ends too early\)/],
    ['text', 'type=a', 'invalid_json', /body is not valid JSON/],
    ['two documents', '{}{}', 'invalid_json', /body is not valid JSON \(at character 2\)/],
    ['a byte order mark', '\ufeff{}', 'invalid_json', /body is not valid JSON/],
    ['nesting past the limit', `${'['.repeat(9)}${']'.repeat(9)}`, 'json_too_deep', /deeper than 8 levels/],
    [
      'too many keys',
      JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]))),
      'json_too_many_keys',
      /more than 20 object keys/,
    ],
    [
      'too many array items',
      JSON.stringify({ a: Array.from({ length: 21 }, (_, i) => i) }),
      'json_too_many_array_items',
      /more than 20 array items/,
    ],
    ['a __proto__ key', '{"type":"a","data":{"__proto__":{"admin":true}}}', 'forbidden_key', /"__proto__" key/],
    [
      'a poisoned constructor',
      '{"data":{"constructor":{"prototype":{"x":1}}}}',
      'forbidden_key',
      /"constructor" key holding a "prototype" key/,
    ],
    ['a poisoned constructor in an array', '[1,{"constructor":{"prototype":null}}]', 'forbidden_key', /"constructor"/],
  ])('refuses %s with a 400 naming the problem', (_label, text, code, message) => {
    const error = refusal(() => parseJsonBody(bytes(text), limits));
    expect(error.getStatus()).toBe(400);
    expect(error.code).toBe(code);
    expect(error.reason).toMatch(message);
    expect(error.getResponse()).toEqual(expect.objectContaining({ statusCode: 400, message: [error.reason] }));
  });

  it('refuses a pathological body from the scan alone, without parsing it', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(refusal(() => parseJsonBody(bytes('['.repeat(1_000_000)), limits)).code).toBe('json_too_deep');
      expect(refusal(() => parseJsonBody(bytes(`[${'0,'.repeat(100_000)}0]`), limits)).code).toBe(
        'json_too_many_array_items',
      );
      expect(refusal(() => parseJsonBody(bytes('{"__proto__":[]}'), limits)).code).toBe('forbidden_key');
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('accepts a constructor that holds no prototype, and prototype keys elsewhere', () => {
    const text = '{"constructor":{"name":"Ford"},"prototype":1,"a":{"constructor":null}}';
    expect(parseJsonBody(bytes(text), limits)).toEqual({ value: JSON.parse(text), text });
  });

  it('agrees with JSON.parse on validity for arbitrary text within the limits', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
          fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ':', ',', ' ', '1', 'a', 'n', 'u', 'l') }),
        ),
        (text) => {
          let expected: unknown;
          let valid = true;
          try {
            expected = JSON.parse(text);
          } catch {
            valid = false;
          }
          const wide = { maxDepth: 100, maxKeys: 1000, maxArrayItems: 1000 };
          if (valid && !text.includes('__proto__') && !text.includes('constructor')) {
            expect(parseJsonBody(bytes(text), wide).value).toEqual(expected);
          } else if (!valid) {
            expect(refusal(() => parseJsonBody(bytes(text), wide)).code).toBe('invalid_json');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
