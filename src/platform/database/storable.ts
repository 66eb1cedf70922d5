/** Nesting kept in a stored answer; deeper parts become a note (PostgreSQL and JSON.stringify have limits). */
export const MAX_STORED_DEPTH = 64;
/** What replaces U+0000 and unpaired surrogates, which PostgreSQL's text and jsonb refuse. */
export const REPLACEMENT = '\ufffd';
// eslint-disable-next-line no-control-regex -- NUL is the character this replaces
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A value as it can be stored: in every string and key, U+0000 and lone UTF-16 surrogates
 * become U+FFFD (the replacement character); nesting deeper than MAX_STORED_DEPTH becomes a
 * note. What an outside service answered must be storable (an actuator's answer, a channel's
 * error), or the transaction that records it fails and a call that succeeded would be made again.
 */
export function storable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, REPLACEMENT);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_STORED_DEPTH) return `(not stored: nested deeper than ${MAX_STORED_DEPTH} levels)`;
  if (Array.isArray(value)) return value.map((x) => storable(x, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [storable(k), storable(x, depth + 1)]));
}

/** A text as it can be stored (see storable). */
export const storableText = (text: string): string => storable(text) as string;
