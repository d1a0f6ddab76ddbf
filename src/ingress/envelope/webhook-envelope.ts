import { EVENT_TYPE_CHARACTERS, EVENT_TYPE_PATTERN, MAX_TYPE_LENGTH } from '../../shared/event-type.js';
/**
 * The provider's webhook envelope:
 *   {"id"?: string, "type": string, "data": object, "created_at"?: ISO-8601 string, ...other fields kept}
 *
 * Pure and dependency-free. parseEnvelope validates without mutating or copying the input.
 */

export const MAX_ID_LENGTH = 255;

export interface WebhookEnvelope {
  id?: string;
  type: string;
  data: Record<string, unknown>;
  created_at?: string;
  [extra: string]: unknown;
}

export type EnvelopeParseResult = { ok: true; envelope: WebhookEnvelope } | { ok: false; errors: string[] };

/**
 * ISO-8601 calendar date, optionally followed by a time (hh:mm, hh:mm:ss or hh:mm:ss.fraction)
 * and an optional offset (Z or ±hh:mm). Field ranges are checked here; the day-of-month against
 * the month/year is checked in isRealCalendarDate (Date.parse accepts 2026-02-30).
 * Year 0000 and offsets beyond ±15:59 are refused because Postgres timestamptz refuses them.
 */
const ISO_DATE_TIME =
  /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[Tt](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:[Zz]|[+-](?:0\d|1[0-5]):[0-5]\d)?)?$/;

const hasOwn = Object.prototype.hasOwnProperty;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function digits(s: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}

/** `s` already matched ISO_DATE_TIME, so positions 0-9 are "YYYY-MM-DD". */
function isRealCalendarDate(s: string): boolean {
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  let daysInMonth = 31;
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    daysInMonth = leap ? 29 : 28;
  } else if (month === 4 || month === 6 || month === 9 || month === 11) {
    daysInMonth = 30;
  }
  return day <= daysInMonth && !Number.isNaN(Date.parse(s));
}

// Messages are constants so a failing call allocates nothing but the errors array.
const TYPE_REQUIRED = 'type is required';
const TYPE_NOT_STRING = 'type must be a non-empty string';
const TYPE_TOO_LONG = `type must be at most ${MAX_TYPE_LENGTH} characters`;
const TYPE_BAD_CHARS = `type must contain ${EVENT_TYPE_CHARACTERS}`;
const DATA_REQUIRED = 'data is required';
const DATA_NOT_OBJECT = 'data must be a JSON object';
const ID_NOT_STRING = 'id must be a string';
const ID_EMPTY = 'id must be a non-empty string';
const ID_TOO_LONG = `id must be at most ${MAX_ID_LENGTH} characters`;
const CREATED_AT_INVALID = 'created_at must be an ISO-8601 date-time';
const BODY_NOT_OBJECT = 'body must be a JSON object';
const BODY_UNREADABLE = 'body could not be read as a JSON object';

/** Appends to the lazily allocated errors array. */
function fail(errors: string[] | undefined, message: string): string[] {
  if (errors === undefined) return [message];
  errors.push(message);
  return errors;
}

function validate(body: Record<string, unknown>): string[] | undefined {
  let errors: string[] | undefined;

  // type: required
  const type = hasOwn.call(body, 'type') ? body.type : undefined;
  if (type === undefined) errors = fail(errors, TYPE_REQUIRED);
  else if (typeof type !== 'string' || type.length === 0) errors = fail(errors, TYPE_NOT_STRING);
  else if (type.length > MAX_TYPE_LENGTH) errors = fail(errors, TYPE_TOO_LONG);
  else if (!EVENT_TYPE_PATTERN.test(type)) errors = fail(errors, TYPE_BAD_CHARS);

  // data: required
  const data = hasOwn.call(body, 'data') ? body.data : undefined;
  if (data === undefined) errors = fail(errors, DATA_REQUIRED);
  else if (!isPlainObject(data)) errors = fail(errors, DATA_NOT_OBJECT);

  // id: optional, but when present (even as null) a non-empty string
  const id = hasOwn.call(body, 'id') ? body.id : undefined;
  if (id !== undefined) {
    if (typeof id !== 'string') errors = fail(errors, ID_NOT_STRING);
    else if (id.length === 0) errors = fail(errors, ID_EMPTY);
    else if (id.length > MAX_ID_LENGTH) errors = fail(errors, ID_TOO_LONG);
  }

  // created_at: optional, but when present (even as null) an ISO-8601 string naming a real date
  const createdAt = hasOwn.call(body, 'created_at') ? body.created_at : undefined;
  if (createdAt !== undefined) {
    if (typeof createdAt !== 'string' || !ISO_DATE_TIME.test(createdAt) || !isRealCalendarDate(createdAt)) {
      errors = fail(errors, CREATED_AT_INVALID);
    }
  }

  return errors;
}

/**
 * Validates the envelope. Never throws, whatever `body` is. Collects every violation, one message
 * per field, each starting with the field name. On success `envelope` is `body` itself (not a copy).
 */
export function parseEnvelope(body: unknown): EnvelopeParseResult {
  let errors: string[] | undefined;
  try {
    if (!isPlainObject(body)) return { ok: false, errors: [BODY_NOT_OBJECT] };
    errors = validate(body);
  } catch {
    // Only reachable for exotic non-JSON inputs (throwing getters, revoked proxies).
    return { ok: false, errors: [BODY_UNREADABLE] };
  }
  if (errors !== undefined) return { ok: false, errors };
  return { ok: true, envelope: body as WebhookEnvelope };
}

const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
const ESCAPE_MARKER = Buffer.from('\\u', 'latin1');

/** Value of the 4 hex digits at raw[at..at+3], or -1 when they are not 4 hex digits. */
function hex4(raw: Buffer, at: number): number {
  if (at + 4 > raw.length) return -1;
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const c = raw[i];
    let nibble: number;
    if (c >= 0x30 && c <= 0x39) nibble = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) nibble = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) nibble = c - 0x37;
    else return -1;
    value = (value << 4) | nibble;
  }
  return value;
}

/**
 * True when the raw JSON text contains a `\u` escape that Postgres jsonb refuses to store:
 *  - `\u0000` ("unsupported Unicode escape sequence: \u0000 cannot be converted to text"), or
 *  - an unpaired UTF-16 surrogate escape: `\uD800`-`\uDBFF` not immediately followed by a
 *    `\uDC00`-`\uDFFF` escape, or a `\uDC00`-`\uDFFF` escape not preceded by a high one
 *    ("Unicode low surrogate must follow a high surrogate" / "high surrogate must not follow a high surrogate").
 * A `\u` only counts when its backslash is not itself escaped, i.e. ends an odd run of backslashes
 * (so the JSON text "\\u0000" - an escaped backslash then "u0000" - is fine).
 * Malformed `\u` escapes (not 4 hex digits) are left to the JSON parser and not reported.
 * Cheap when there is nothing to find: a single native search for "\u".
 */
export function hasUnstorableJsonEscapes(raw: Buffer): boolean {
  let at = raw.indexOf(ESCAPE_MARKER);
  while (at !== -1) {
    // Count the run of backslashes ending at `at`; the escape is real only when the run is odd.
    let run = 1;
    while (at - run >= 0 && raw[at - run] === BACKSLASH) run++;
    let next = at + 2;
    if (run % 2 === 1) {
      const unit = hex4(raw, at + 2);
      if (unit === 0) return true;
      if (unit >= 0xdc00 && unit <= 0xdfff) return true; // low surrogate without a high one before it
      if (unit >= 0xd800 && unit <= 0xdbff) {
        // A high surrogate must be followed directly by a low-surrogate escape.
        const follow = at + 6;
        if (raw[follow] !== BACKSLASH || raw[follow + 1] !== LOWER_U) return true;
        const low = hex4(raw, follow + 2);
        if (low < 0xdc00 || low > 0xdfff) return true;
        next = follow + 6;
      } else if (unit !== -1) {
        next = at + 6;
      }
    }
    at = raw.indexOf(ESCAPE_MARKER, next);
  }
  return false;
}
