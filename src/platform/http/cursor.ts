import { isUUID } from 'class-validator';
import { invalidFields, isCalendarDate } from './validation.js';

/** Keyset pagination: the cursor is the (timestamp, id) of the last item, opaque to clients. */
export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    // A cursor decodes to whatever a client put in it: the id and time reach SQL, so both must be valid.
    if (typeof parsed !== 'object' || parsed === null || !isCalendarDate(parsed.at) || !isUUID(parsed.id))
      throw new Error();
    return { at: parsed.at, id: parsed.id };
  } catch {
    throw invalidFields([{ field: 'cursor', errors: ['cursor is not one this API returned'] }]);
  }
}

/**
 * One page of a keyset-paginated list. The query asks for `limit + 1` rows: the extra row only
 * tells whether there is a next page.
 */
export function pageOf<R, V>(
  rows: R[],
  limit: number,
  view: (row: R) => V,
  cursorOf: (row: R) => string,
): { items: V[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(view), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
