/** Help shared by the lists' time filters. */
export const SINCE_HELP =
  'an ISO 8601 date (2026-12-01, 2026-12-01T10:00:00Z) or a duration back from now (90s, 30m, 2h, 7d, 1w)';

/** The line under a full page that says how to read the next one. */
export const morePages = (nextCursor: string | null) => (nextCursor ? `\nmore: add --cursor ${nextCursor}` : '');
