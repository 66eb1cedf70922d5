import { CliError } from './exit-codes.js';

/** The part of a UUIDv7 people can tell apart, as the console shows it: its random tail. */
export const idTail = (id: string) => id.replace(/-/g, '').slice(-6);

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** Text from the server with each whole UUID shortened to its tail. */
export const shortenIds = (text: string) => text.replace(UUID, (id) => `…${idTail(id)}`);

export const fmtMs = (ms: number | null | undefined) =>
  ms === null || ms === undefined
    ? '—'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 120_000
        ? `${(ms / 1000).toFixed(1)} s`
        : ms < 7_200_000
          ? `${(ms / 60_000).toFixed(1)} min`
          : `${(ms / 3_600_000).toFixed(1)} h`;

export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10} %`;

/** How long ago (or how soon) a time is, roughly, as on-call reads a list: `4 min ago`, `in 2 h`. */
export function ago(at: string | null | undefined, now: number): string {
  if (!at) return '—';
  const ms = now - Date.parse(at);
  const abs = Math.abs(ms);
  const span =
    abs < 60_000
      ? `${Math.floor(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.floor(abs / 3_600_000)} h`
          : `${Math.floor(abs / 86_400_000)} d`;
  return ms >= 0 ? `${span} ago` : `in ${span}`;
}

/** A time of day in the local zone, to the second (live lines). */
export const clock = (at: string) => new Date(at).toTimeString().slice(0, 8);

/** Cuts a cell to `max` characters, marking the cut. */
export const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Rows under a header, columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const DURATION = /^(\d+)\s*(s|m|min|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `--since`/`--until`: a duration back from now (`90s`, `30m`, `2h`, `7d`, `1w`) becomes that
 * instant; anything else is passed on as the ISO 8601 date the API takes (and judges).
 */
export function instantOption(value: string, now: number): string {
  const m = DURATION.exec(value.trim());
  if (!m) return value.trim();
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (!Number.isSafeInteger(ms)) throw new CliError(`${value} is too far back`);
  return new Date(now - ms).toISOString();
}

/** `--limit`: a whole number in the API's bounds. */
export function limitOption(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) throw new CliError(`--limit must be a whole number from 1 to ${max}`);
    return n;
  };
}
