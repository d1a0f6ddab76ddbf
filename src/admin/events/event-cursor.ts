import { BadRequestException } from '@nestjs/common';

/** A position in the newest-first list: the last row's received_at (in microseconds, as Postgres keeps it) and id. */
export interface EventCursor {
  receivedAtMicros: string;
  id: string;
}

const MICROS = /^\d{1,17}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients (they pass it back as is); base64url so it travels in a query string untouched. */
export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(`${cursor.receivedAtMicros}.${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string): EventCursor {
  const [receivedAtMicros, id, extra] = Buffer.from(value, 'base64url').toString('utf8').split('.');
  if (extra !== undefined || !MICROS.test(receivedAtMicros ?? '') || !UUID.test(id ?? '')) {
    throw new BadRequestException(['cursor is invalid: pass back the nextCursor of the previous page unchanged']);
  }
  return { receivedAtMicros, id };
}

/** SQL for a cursor's timestamp, exact to the microsecond (a JS Date would round to the millisecond). */
export const CURSOR_TIMESTAMP_SQL = (param: string) =>
  `('epoch'::timestamptz + :${param}::bigint * interval '1 microsecond')`;
export const CURSOR_MICROS_SQL = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;
