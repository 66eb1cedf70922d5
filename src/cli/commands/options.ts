import type { Command } from 'commander';
import { CliError } from '../exit-codes.js';
import { instantOption, limitOption } from '../format.js';

/** Help shared by the lists' time filters. */
export const SINCE_HELP =
  'an ISO 8601 date (2026-12-01, 2026-12-01T10:00:00Z) or a duration back from now (90s, 30m, 2h, 7d, 1w)';

/** The line under a full page that says how to read the next one. */
export const morePages = (nextCursor: string | null) => (nextCursor ? `\nmore: add --cursor ${nextCursor}` : '');

/** What the time-filtered lists (incidents, recoveries, runs) take besides their own filters. */
export interface WindowAndPageOptions {
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/**
 * A filter's value: an empty one (an unset variable, `--agent "$AGENT"`) is a usage error. Sent on,
 * it would be dropped from the query and list everything, the opposite of a filter.
 */
export const filterOption =
  (flag: string) =>
  (value: string): string => {
    if (value.trim() === '') throw new CliError(`${flag} needs a value (empty, it would filter nothing)`);
    return value;
  };

/** Adds --since, --until (on the time `what` names), --limit and --cursor to a list command. */
export const withWindowAndPage = (command: Command, what: string): Command =>
  command
    .option('--since <when>', `${what} at or after: ${SINCE_HELP}`, filterOption('--since'))
    .option('--until <when>', `${what} before: ${SINCE_HELP}`, filterOption('--until'))
    .option('--limit <n>', 'at most this many (1–200)', limitOption(200), 50)
    .option('--cursor <cursor>', 'the next page, as printed under a full one', filterOption('--cursor'));

/** Those options as the API's query parameters (relative times resolved against `now`). */
export const windowAndPageQuery = (o: WindowAndPageOptions, now: number) => ({
  since: o.since && instantOption(o.since, now),
  until: o.until && instantOption(o.until, now),
  limit: o.limit,
  cursor: o.cursor,
});
