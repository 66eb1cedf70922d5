import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  canonicalTimeZone,
  describeWindow,
  isInsideWindow,
  isTimeZone,
  localTime,
  openWindow,
  WEEKDAYS,
  windowEnd,
  type Weekday,
  type WeeklyWindow,
} from './weekly-window.js';

const at = (iso: string) => new Date(iso);
const win = (days: Weekday[], start: string, end: string, timeZone = 'UTC'): WeeklyWindow => ({
  days,
  start,
  end,
  timeZone,
});

/** Arbitrary windows and instants for the property tests. */
const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const weekdaySets = fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 });
const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });

/** The minutes in [from, to) at which `window` is open. */
function openMinutes(window: WeeklyWindow, from: string, to: string): number {
  let open = 0;
  for (let t = at(from).getTime(); t < at(to).getTime(); t += 60_000) if (isInsideWindow(window, new Date(t))) open++;
  return open;
}

describe('weekly windows', () => {
  it('reads the wall clock and weekday of the time zone', () => {
    expect(localTime(at('2026-01-05T08:30:00Z'), 'Europe/Berlin')).toEqual({ day: 'mon', minute: 9 * 60 + 30 });
    expect(localTime(at('2026-07-06T08:30:00Z'), 'Europe/Berlin')).toEqual({ day: 'mon', minute: 10 * 60 + 30 });
    expect(localTime(at('2026-01-04T19:30:00Z'), 'Pacific/Auckland')).toEqual({ day: 'mon', minute: 8 * 60 + 30 });
    expect(localTime(at('2026-01-05T00:00:00Z'), 'UTC')).toEqual({ day: 'mon', minute: 0 });
  });

  it('a same-day window: start inclusive, end exclusive, only on its days', () => {
    const w = win(['mon', 'wed'], '09:00', '17:00');
    expect(isInsideWindow(w, at('2026-01-05T09:00:00Z'))).toBe(true);
    expect(isInsideWindow(w, at('2026-01-05T16:59:59Z'))).toBe(true);
    expect(isInsideWindow(w, at('2026-01-05T08:59:59Z'))).toBe(false);
    expect(isInsideWindow(w, at('2026-01-05T17:00:00Z'))).toBe(false);
    expect(isInsideWindow(w, at('2026-01-06T12:00:00Z'))).toBe(false); // tuesday
    expect(isInsideWindow(w, at('2026-01-07T12:00:00Z'))).toBe(true); // wednesday
  });

  it('is read in its own time zone, winter and summer', () => {
    const w = win(['mon'], '09:00', '17:00', 'Europe/Berlin');
    expect(isInsideWindow(w, at('2026-01-05T08:00:00Z'))).toBe(true); // 09:00 CET
    expect(isInsideWindow(w, at('2026-01-05T07:59:00Z'))).toBe(false);
    expect(isInsideWindow(w, at('2026-01-05T16:00:00Z'))).toBe(false); // 17:00 CET
    expect(isInsideWindow(w, at('2026-07-06T07:00:00Z'))).toBe(true); // 09:00 CEST
    expect(isInsideWindow(w, at('2026-07-06T06:59:00Z'))).toBe(false);
    expect(isInsideWindow(w, at('2026-07-06T15:00:00Z'))).toBe(false); // 17:00 CEST
    // Monday in Auckland while it is still Sunday in UTC.
    const nz = win(['mon'], '08:00', '09:00', 'Pacific/Auckland');
    expect(isInsideWindow(nz, at('2026-01-04T19:30:00Z'))).toBe(true);
    expect(isInsideWindow(win(['mon'], '08:00', '09:00'), at('2026-01-04T19:30:00Z'))).toBe(false);
  });

  it('a window ending before it starts wraps past midnight and belongs to the day it starts', () => {
    const fri = win(['fri'], '22:00', '06:00');
    expect(isInsideWindow(fri, at('2026-01-09T22:00:00Z'))).toBe(true); // friday evening
    expect(isInsideWindow(fri, at('2026-01-09T21:59:00Z'))).toBe(false);
    expect(isInsideWindow(fri, at('2026-01-10T05:59:00Z'))).toBe(true); // saturday morning
    expect(isInsideWindow(fri, at('2026-01-10T06:00:00Z'))).toBe(false);
    expect(isInsideWindow(fri, at('2026-01-10T23:00:00Z'))).toBe(false); // saturday evening: not a window day
    expect(isInsideWindow(fri, at('2026-01-09T03:00:00Z'))).toBe(false); // friday morning belongs to thursday's window
    const sun = win(['sun'], '23:30', '00:30', 'America/New_York');
    expect(isInsideWindow(sun, at('2026-01-12T05:15:00Z'))).toBe(true); // monday 00:15 EST, sunday's window
    expect(isInsideWindow(sun, at('2026-01-13T05:15:00Z'))).toBe(false); // tuesday 00:15
  });

  it('follows daylight saving time: spring forward shortens, fall back lengthens a window', () => {
    const night = win(['sun'], '01:00', '05:00', 'Europe/Berlin');
    // 2026-03-29 02:00 CET → 03:00 CEST: 01:00 CET = 00:00Z, 05:00 CEST = 03:00Z.
    expect(openMinutes(night, '2026-03-28T20:00:00Z', '2026-03-29T08:00:00Z')).toBe(3 * 60);
    expect(isInsideWindow(night, at('2026-03-29T00:00:00Z'))).toBe(true);
    expect(isInsideWindow(night, at('2026-03-29T02:59:00Z'))).toBe(true);
    expect(isInsideWindow(night, at('2026-03-29T03:00:00Z'))).toBe(false);
    // 2026-10-25 03:00 CEST → 02:00 CET: 01:00 CEST = 23:00Z, 05:00 CET = 04:00Z.
    expect(openMinutes(night, '2026-10-24T20:00:00Z', '2026-10-25T08:00:00Z')).toBe(5 * 60);
    expect(isInsideWindow(night, at('2026-10-25T03:59:00Z'))).toBe(true);
    expect(isInsideWindow(night, at('2026-10-25T04:00:00Z'))).toBe(false);
    // A window inside the skipped hour does not open that night; inside the repeated hour it opens twice.
    expect(
      openMinutes(win(['sun'], '02:00', '02:30', 'Europe/Berlin'), '2026-03-28T20:00:00Z', '2026-03-29T08:00:00Z'),
    ).toBe(0);
    expect(
      openMinutes(win(['sun'], '02:00', '02:30', 'Europe/Berlin'), '2026-10-24T20:00:00Z', '2026-10-25T08:00:00Z'),
    ).toBe(60);
    // New York springs forward on 2026-03-08 at 02:00 EST (07:00Z).
    expect(
      openMinutes(win(['sun'], '00:00', '04:00', 'America/New_York'), '2026-03-08T00:00:00Z', '2026-03-08T12:00:00Z'),
    ).toBe(3 * 60);
  });

  it('in UTC it agrees with a plain reading of the UTC clock (property)', () => {
    fc.assert(
      fc.property(weekdaySets, clock, clock, instant, (days, start, end, t) => {
        fc.pre(start !== end);
        const d = new Date(t);
        const day = (offset: number) => WEEKDAYS[(d.getUTCDay() + 6 + offset) % 7]; // getUTCDay: 0 = sunday
        const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
        const [s, e] = [start, end].map((c) => Number(c.slice(0, 2)) * 60 + Number(c.slice(3)));
        const expected =
          s < e
            ? days.includes(day(0)) && minute >= s && minute < e
            : (days.includes(day(0)) && minute >= s) || (days.includes(day(6)) && minute < e);
        expect(isInsideWindow(win(days, start, end), d)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('openWindow answers the first open window, or null', () => {
    const a = win(['mon'], '09:00', '10:00');
    const b = win(['mon'], '09:30', '12:00');
    expect(openWindow([a, b], at('2026-01-05T09:45:00Z'))).toBe(a);
    expect(openWindow([a, b], at('2026-01-05T11:00:00Z'))).toBe(b);
    expect(openWindow([a, b], at('2026-01-05T12:00:00Z'))).toBeNull();
    expect(openWindow([], at('2026-01-05T12:00:00Z'))).toBeNull();
    expect(describeWindow(win(['sat', 'sun'], '22:00', '06:00', 'Europe/Berlin'))).toBe(
      'sat,sun 22:00–06:00 Europe/Berlin',
    );
  });

  it('knows IANA time zone names and refuses others', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata'])
      expect(isTimeZone(tz)).toBe(true);
    for (const tz of ['Mars/Olympus_Mons', 'Europe/Nowhere', '', 'not a zone', 42, null])
      expect(isTimeZone(tz)).toBe(false);
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('America/New_York')).toBe('America/New_York');
  });

  it('windowEnd says when a window next closes, across midnight and clock changes', () => {
    const iso = (d: Date) => d.toISOString();
    expect(iso(windowEnd(win(['mon'], '09:00', '17:00'), at('2026-01-05T10:30:15Z')))).toBe('2026-01-05T17:00:00.000Z');
    expect(iso(windowEnd(win(['mon'], '09:00', '17:00'), at('2026-01-05T18:00:00Z')))).toBe('2026-01-05T18:00:00.000Z'); // already outside
    expect(iso(windowEnd(win(['fri'], '22:00', '06:00'), at('2026-01-09T23:00:00Z')))).toBe('2026-01-10T06:00:00.000Z');
    expect(iso(windowEnd(win([...WEEKDAYS], '00:00', '23:59'), at('2026-01-05T12:00:00Z')))).toBe(
      '2026-01-05T23:59:00.000Z',
    );
    // Berlin springs forward on 2026-03-29 (02:00 → 03:00): a 01:00–05:00 window closes at 05:00 CEST = 03:00Z.
    expect(iso(windowEnd(win(['sun'], '01:00', '05:00', 'Europe/Berlin'), at('2026-03-29T00:30:00Z')))).toBe(
      '2026-03-29T03:00:00.000Z',
    );
    // …and falls back on 2026-10-25 (03:00 → 02:00): 05:00 CET = 04:00Z.
    expect(iso(windowEnd(win(['sun'], '01:00', '05:00', 'Europe/Berlin'), at('2026-10-24T23:30:00Z')))).toBe(
      '2026-10-25T04:00:00.000Z',
    );
  });

  it('windowEnd is the first minute outside the window (property, UTC)', () => {
    fc.assert(
      fc.property(weekdaySets, clock, clock, instant, (days, start, end, t) => {
        fc.pre(start !== end);
        const w = win(days, start, end);
        const from = new Date(t);
        const closes = windowEnd(w, from);
        expect(isInsideWindow(w, closes)).toBe(false);
        expect(closes.getTime()).toBeGreaterThanOrEqual(t);
        if (closes.getTime() > t) expect(isInsideWindow(w, new Date(closes.getTime() - 60_000))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
