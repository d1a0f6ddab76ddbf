import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor } from './event-cursor.js';

describe('event cursor', () => {
  const cursor = { receivedAtMicros: '1764489600123456', id: '0b7c3f0e-8a63-4c55-9d0b-2f1b0c3a9e11' };

  it('round-trips the microseconds and the id', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['not base64 of anything useful', 'zzz'],
    ['an empty string', ''],
    ['a bad id', Buffer.from('1764489600123456.not-a-uuid').toString('base64url')],
    ['a bad timestamp', Buffer.from(`-5.${cursor.id}`).toString('base64url')],
    ['an extra part', Buffer.from(`1.${cursor.id}.x`).toString('base64url')],
  ])('refuses %s with a 400', (_what, value) => {
    expect(() => decodeCursor(value)).toThrow(BadRequestException);
  });
});
