import { describe, expect, it } from '@jest/globals';
import { isCalendarDate, utcInstant } from './validation.js';

describe('utcInstant', () => {
  it('reads a date or date-time without an offset as UTC, whatever the zone of the process', () => {
    expect(utcInstant('2026-12-01').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(utcInstant('2026-12-01T10:00').toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(utcInstant('2026-12-01 10:00:05').toISOString()).toBe('2026-12-01T10:00:05.000Z');
    expect(utcInstant('2026-12-01T10:00:05.25').toISOString()).toBe('2026-12-01T10:00:05.250Z');
  });

  it('keeps an offset, and drops fractions of a millisecond as a Date does', () => {
    expect(utcInstant('2026-12-01T10:00:00+02:00').toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(utcInstant('2026-12-01T10:00-0130').toISOString()).toBe('2026-12-01T11:30:00.000Z');
    expect(utcInstant('2026-12-01T10:00:00.123999Z').toISOString()).toBe('2026-12-01T10:00:00.123Z');
  });

  it('names the same instant for every string isCalendarDate takes', () => {
    for (const s of ['2026-02-28', '2026-12-01T23:59:59.999999999', '2026-12-01T10:00Z', '0001-01-01T00:00'])
      expect(isCalendarDate(s) && !Number.isNaN(utcInstant(s).getTime())).toBe(true);
    expect(() => utcInstant('yesterday')).toThrow(/not an ISO 8601 calendar date/);
  });
});
