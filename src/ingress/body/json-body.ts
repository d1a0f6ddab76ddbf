import { RefusedContentException } from '../refused-content.exception.js';

/** How much structure one webhook body may have. Bytes are bounded separately (WEBHOOK_BODY_LIMIT). */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays: `{}` is 1, `{"data":{}}` is 2. */
  maxDepth: number;
  /** Object keys in the whole body, at every depth. */
  maxKeys: number;
  /** Array items in the whole body, at every depth. */
  maxArrayItems: number;
}

/** What scanJson found. */
export const JsonScan = {
  /** Within the limits, and no key that needs a second look. */
  ok: 0,
  /** Within the limits, with a `constructor` key: whether it holds a `prototype` key shows once parsed. */
  constructorKey: 1,
  tooDeep: 2,
  tooManyKeys: 3,
  tooManyArrayItems: 4,
  protoKey: 5,
} as const;
export type JsonScanResult = (typeof JsonScan)[keyof typeof JsonScan];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const SPACE = 0x20;

const PROTO = Buffer.from('__proto__', 'latin1');
const CONSTRUCTOR = Buffer.from('constructor', 'latin1');
// Written with \uXXXX escapes, "__proto__" takes 14 to 54 bytes, "constructor" 16 to 66.
const SHORTEST_ESCAPED_KEY = 14;
const LONGEST_ESCAPED_KEY = 66;

const NOT_A_KEY = 0;
const PROTO_KEY = 1;
const CONSTRUCTOR_KEY = 2;

/**
 * Measures a JSON text over its raw bytes without parsing it: nesting depth, object keys and array
 * items, and whether a key is `__proto__` (or `constructor`, which needs a look at its value).
 * One pass, linear in the length: short strings are read byte by byte, long ones skipped with
 * native searches for the closing quote; the bytes between strings are looked at one by one.
 * Nothing is allocated (except to decode a key of the right length written with escapes). It stops
 * at the first limit passed.
 *
 * Exact for valid JSON; for anything else the counts are approximate and the parser that runs
 * next refuses the text anyway. Never throws.
 */
export function scanJson(raw: Buffer, limits: JsonLimits): JsonScanResult {
  const { maxDepth, maxKeys } = limits;
  const length = raw.length;
  let depth = 0;
  let keys = 0;
  let commas = 0;
  /** Objects and arrays holding at least one value. */
  let filled = 0;
  /** The previous token opened an object or an array. */
  let opened = false;
  /** The previous token was a string: a colon now makes it a key. */
  let afterString = false;
  let stringStart = 0;
  let stringEnd = 0;
  let constructorKey = false;

  for (let i = 0; i < length; i++) {
    const byte = raw[i];
    if (byte === QUOTE) {
      if (opened) {
        filled++;
        opened = false;
      }
      const start = i + 1;
      const end = closingQuote(raw, start, length);
      if (end === -1) break; // unterminated string: not JSON
      stringStart = start;
      stringEnd = end;
      afterString = true;
      i = end;
      continue;
    }
    if (byte <= SPACE) continue; // whitespace (other control bytes are not JSON)
    if (opened) {
      opened = false;
      if (byte !== CLOSE_OBJECT && byte !== CLOSE_ARRAY) filled++;
    }
    const keyBefore = afterString;
    afterString = false;
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > maxDepth) return JsonScan.tooDeep;
      opened = true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    } else if (byte === COLON) {
      if (++keys > maxKeys) return JsonScan.tooManyKeys;
      if (keyBefore) {
        const kind = keyKind(raw, stringStart, stringEnd);
        if (kind === PROTO_KEY) return JsonScan.protoKey;
        if (kind === CONSTRUCTOR_KEY) constructorKey = true;
      }
    } else if (byte === COMMA) {
      commas++;
    }
  }
  // Every value inside an object or array but the first of each follows a comma, and every object
  // member has one colon: what is left are the array items.
  if (commas + filled - keys > limits.maxArrayItems) return JsonScan.tooManyArrayItems;
  return constructorKey ? JsonScan.constructorKey : JsonScan.ok;
}

/** Strings are read byte by byte up to this length (most keys and values), then searched natively. */
const SHORT_STRING = 32;

/** The index of the quote closing the string whose text starts at `start`, or -1. Linear. */
function closingQuote(raw: Buffer, start: number, length: number): number {
  const shortEnd = Math.min(length, start + SHORT_STRING);
  let at = start;
  for (; at < shortEnd; at++) {
    const byte = raw[at];
    if (byte === QUOTE) return at;
    if (byte === BACKSLASH) at++; // the escaped byte cannot end the string
  }
  if (at >= length) return -1;
  // A long string: native searches for a quote. It is escaped when an odd run of backslashes
  // precedes it; the runs looked at lie between the quotes found (and after `at`, where no escape
  // is pending), so each byte is looked at once: linear, even for "\\…\"".
  let end = raw.indexOf(QUOTE, at);
  while (end !== -1) {
    let before = end - 1;
    while (before >= at && raw[before] === BACKSLASH) before--;
    if ((end - 1 - before) % 2 === 0) return end;
    end = raw.indexOf(QUOTE, end + 1);
  }
  return -1;
}

/** Whether the key whose text lies in raw[start, end) is `__proto__` or `constructor`, escapes decoded. */
function keyKind(raw: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length === PROTO.length) return equalBytes(raw, start, PROTO) ? PROTO_KEY : NOT_A_KEY;
  if (length === CONSTRUCTOR.length) return equalBytes(raw, start, CONSTRUCTOR) ? CONSTRUCTOR_KEY : NOT_A_KEY;
  if (length < SHORTEST_ESCAPED_KEY || length > LONGEST_ESCAPED_KEY) return NOT_A_KEY;
  let escaped = false;
  for (let i = start; i < end && !escaped; i++) escaped = raw[i] === BACKSLASH;
  if (!escaped) return NOT_A_KEY;
  let key: unknown;
  try {
    key = JSON.parse(raw.toString('utf8', start - 1, end + 1));
  } catch {
    return NOT_A_KEY; // a malformed escape: the parser refuses the body
  }
  return key === '__proto__' ? PROTO_KEY : key === 'constructor' ? CONSTRUCTOR_KEY : NOT_A_KEY;
}

function equalBytes(raw: Buffer, start: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (raw[start + i] !== expected[i]) return false;
  return true;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether an object in the parsed value has a `constructor` key holding an object with a
 * `prototype` key (what Fastify's parser calls constructor poisoning). Only called when the scan
 * saw a `constructor` key.
 */
function holdsConstructorPrototype(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) pending.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (hasOwn.call(record, 'constructor')) {
      const held = record.constructor;
      if (typeof held === 'object' && held !== null && hasOwn.call(held, 'prototype')) return true;
    }
    for (const key of Object.keys(record)) pending.push(record[key]);
  }
  return false;
}

const BODY_EMPTY = 'body is empty: it must be one JSON document';
const PROTO_REFUSED = 'body has a "__proto__" key, which is refused (prototype poisoning)';
const CONSTRUCTOR_REFUSED =
  'body has a "constructor" key holding a "prototype" key, which is refused (prototype poisoning)';

function notJson(error: unknown): string {
  const text = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(text);
  if (position) return `body is not valid JSON (at character ${position[1]})`;
  if (text.includes('end of JSON input')) return 'body is not valid JSON (it ends too early)';
  return 'body is not valid JSON';
}

/** The 400 for a scan that passed a limit or found a `__proto__` key. */
function refusal(scan: JsonScanResult, limits: JsonLimits): RefusedContentException {
  switch (scan) {
    case JsonScan.tooDeep:
      return new RefusedContentException('json_too_deep', [
        `body is nested deeper than ${limits.maxDepth} levels of objects and arrays`,
      ]);
    case JsonScan.tooManyKeys:
      return new RefusedContentException('json_too_many_keys', [`body has more than ${limits.maxKeys} object keys`]);
    case JsonScan.tooManyArrayItems:
      return new RefusedContentException('json_too_many_array_items', [
        `body has more than ${limits.maxArrayItems} array items`,
      ]);
    default:
      return new RefusedContentException('forbidden_key', [PROTO_REFUSED]);
  }
}

/** A body that passed: its value, and its text (decoded once, kept for whoever stores it). */
export interface ParsedJsonBody {
  value: unknown;
  text: string;
}

/**
 * The body as one JSON value, or a RefusedContentException (400) saying why not: empty, past a
 * limit (found by scanJson before any decoding or parsing, so a pathological body costs one linear
 * pass), a `__proto__` key or a poisoned `constructor`, or not valid JSON. One JSON.parse for a body
 * that passes, as Fastify's own parser does (it also refuses the same keys).
 */
export function parseJsonBody(raw: Buffer, limits: JsonLimits): ParsedJsonBody {
  if (raw.length === 0) throw new RefusedContentException('invalid_json', [BODY_EMPTY]);
  const scan = scanJson(raw, limits);
  if (scan > JsonScan.constructorKey) throw refusal(scan, limits);
  const text = raw.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RefusedContentException('invalid_json', [notJson(error)]);
  }
  if (scan === JsonScan.constructorKey && holdsConstructorPrototype(value)) {
    throw new RefusedContentException('forbidden_key', [CONSTRUCTOR_REFUSED]);
  }
  return { value, text };
}
