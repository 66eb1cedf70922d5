export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** 'HH:MM' on a 24-hour clock, 00:00 to 23:59. */
export const CLOCK_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * A weekly window (guardrails' maintenance windows, notification rules' quiet hours): from
 * `start` (inclusive) to `end` (exclusive), local time in `timeZone`, on the given `days`. An
 * `end` before `start` wraps past midnight; `days` are the days on which the window starts.
 *
 * Windows are read on the wall clock of their time zone, so they follow daylight saving time: a
 * 01:00–05:00 window is 3 hours long on the night clocks spring forward and 5 on the night they
 * fall back; a window inside the skipped hour does not open that night.
 */
export interface WeeklyWindow {
  days: Weekday[];
  start: string;
  end: string;
  /** An IANA time zone name (Europe/Berlin, UTC). */
  timeZone: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATS = 1000;

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    if (formats.size >= MAX_FORMATS) formats.clear();
    formats.set(timeZone, format);
  }
  return format;
}

/** Is `name` a time zone this runtime knows (an IANA name such as Europe/Berlin, or UTC)? */
export function isTimeZone(name: unknown): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) return false;
  try {
    formatFor(name);
    return true;
  } catch {
    return false;
  }
}

/** The runtime's spelling of a known time zone name (europe/berlin → Europe/Berlin). */
export function canonicalTimeZone(name: string): string {
  return formatFor(name).resolvedOptions().timeZone;
}

/** Minutes since midnight of an 'HH:MM' clock time. */
export function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return h * 60 + m;
}

/** The weekday and the minute of the day at `at` on the wall clock of `timeZone`. */
export function localTime(at: Date, timeZone: string): { day: Weekday; minute: number } {
  const parts = formatFor(timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return { day: part('weekday').toLowerCase() as Weekday, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}

const dayBefore = (day: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];

/** Is `at` inside `window` (start inclusive, end exclusive, `days` = the day it starts)? */
export function isInsideWindow(window: WeeklyWindow, at: Date): boolean {
  const { day, minute } = localTime(at, window.timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start < end) return window.days.includes(day) && minute >= start && minute < end;
  // Wraps past midnight: the evening part belongs to today, the morning part to yesterday's window.
  return (window.days.includes(day) && minute >= start) || (window.days.includes(dayBefore(day)) && minute < end);
}

/** The first window open at `at`, or null (also null when there are none: the caller decides what none means). */
export function openWindow(windows: readonly WeeklyWindow[], at: Date): WeeklyWindow | null {
  return windows.find((w) => isInsideWindow(w, at)) ?? null;
}

/** 'mon,tue 22:00–06:00 Europe/Berlin' */
export function describeWindow(w: WeeklyWindow): string {
  return `${w.days.join(',')} ${w.start}–${w.end} ${w.timeZone}`;
}

const MINUTE = 60_000;

/**
 * When `window` next closes: the first minute at or after `at` outside it (`at` itself when it is
 * outside). Quiet hours use it to say when a held notification goes out.
 */
export function windowEnd(window: WeeklyWindow, at: Date): Date {
  let t = at;
  // Each jump goes to the window's end on the wall clock; a jump across a clock change may land
  // inside again (fall back), which the next turn corrects.
  for (let turns = 0; turns < 16 && isInsideWindow(window, t); turns++) {
    const left = (minutesOf(window.end) - localTime(t, window.timeZone).minute + 1440) % 1440 || 1440;
    t = new Date(Math.floor(t.getTime() / MINUTE) * MINUTE + left * MINUTE);
  }
  // Across a spring-forward gap the wall-clock minutes overshoot by the skipped hour: step back.
  for (let back = 0; back < 60; back++) {
    const previous = new Date(t.getTime() - MINUTE);
    if (previous < at || isInsideWindow(window, previous)) break;
    t = previous;
  }
  return t;
}
