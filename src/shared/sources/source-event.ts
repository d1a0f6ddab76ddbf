import type { IncomingHttpHeaders } from 'node:http';
import { EVENT_TYPE_CHARACTERS, EVENT_TYPE_PATTERN, MAX_TYPE_LENGTH } from '../event-type.js';
import type { FieldRule, WebhookSource } from './webhook-source.js';

export const MAX_EXTERNAL_ID_LENGTH = 255;

/** What a verified body of a source says about its event, or why it cannot be taken. */
export type SourceEventReading =
  { ok: true; type: string; externalId?: string } | { ok: true; challenge: string } | { ok: false; errors: string[] };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a dotted path of the body (own properties only). */
export function valueAt(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const key of path.split('.')) {
    if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function read(rule: FieldRule, body: unknown, headers: IncomingHttpHeaders): string | undefined {
  const value = rule.from === 'header' ? headers[rule.path] : valueAt(body, rule.path);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const describe = (rule: FieldRule) => (rule.from === 'header' ? `header ${rule.path}` : `body.${rule.path}`);

/**
 * Reads the type, identity and data location a source's preset (or its overrides) name. Never
 * throws; each problem is one message, for the 400 and the quarantine.
 */
export function readSourceEvent(
  source: WebhookSource,
  body: unknown,
  headers: IncomingHttpHeaders,
): SourceEventReading {
  if (!isPlainObject(body)) return { ok: false, errors: ['body must be a JSON object'] };
  if (source.slackChallenge && body.type === 'url_verification' && typeof body.challenge === 'string') {
    return { ok: true, challenge: body.challenge };
  }
  const errors: string[] = [];
  const parts: string[] = [];
  for (const rule of source.type) {
    const part = read(rule, body, headers);
    if (part !== undefined) parts.push(part);
    else if (!rule.optional) errors.push(`type: ${describe(rule)} is missing or not a non-empty string`);
  }
  const type = parts.join('.');
  if (errors.length === 0) {
    if (type.length > MAX_TYPE_LENGTH) errors.push(`type must be at most ${MAX_TYPE_LENGTH} characters`);
    else if (!EVENT_TYPE_PATTERN.test(type)) errors.push(`type must contain ${EVENT_TYPE_CHARACTERS}`);
  }
  let externalId: string | undefined;
  for (const rule of source.id) {
    externalId = read(rule, body, headers);
    if (externalId !== undefined) break;
    if (!rule.optional) errors.push(`id: ${describe(rule)} is missing or not a non-empty string`);
  }
  if (externalId !== undefined && externalId.length > MAX_EXTERNAL_ID_LENGTH) {
    errors.push(`id must be at most ${MAX_EXTERNAL_ID_LENGTH} characters`);
  }
  if (source.data !== 'body' && !isPlainObject(valueAt(body, source.data))) {
    errors.push(`data: body.${source.data} must be a JSON object`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, type, externalId };
}

/** The handler's `event.data` for a stored body of this source. */
export function eventData(source: Pick<WebhookSource, 'data'>, payload: unknown): Record<string, unknown> {
  const data = source.data === 'body' ? payload : valueAt(payload, source.data);
  return isPlainObject(data) ? data : {};
}
