/**
 * `text` in at most `max` characters: a longer one is cut and ends in `…`. Never in the middle of
 * a surrogate pair: half an emoji is no text (JSON writes it as an escape, PostgreSQL stores
 * U+FFFD, and an audit entry that hashed it would never verify).
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}
