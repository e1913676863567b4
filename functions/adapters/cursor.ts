/**
 * Opaque list cursors, one format for every list: the sort key the previous page stopped at,
 * base64url. A cursor is checked against the shape of its own list's keys, so that one list's
 * cursor (or an altered one) is refused, never turned into a query of something else.
 */
import { InvalidCursor } from '#domain/errors';

export const encodeCursor = (sk: string): string => Buffer.from(sk, 'utf8').toString('base64url');

export const decodeCursor = (cursor: string, shape: RegExp): string => {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!shape.test(sk)) throw new InvalidCursor();
  return sk;
};
