import { describe, expect, it } from '@jest/globals';
import type { BadRequestException } from '@nestjs/common';
import { DEFAULT_SETTINGS } from '../settings/intake-settings.js';
import { refuseAgainst, samplesOf } from './samples.js';

const DAY = 86_400_000;
const now = new Date('2026-12-06T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return ((e as BadRequestException).getResponse() as { fields: unknown[] }).fields;
  }
  throw new Error('expected a 400');
};

describe('samplesOf: the clock bounds a sample’s at on both sides', () => {
  it('refuses a sample older than the tenant’s retentionDays, naming it, and the whole batch with it', () => {
    const samples = [
      { metric: 'latency_ms', value: 100, at: ago(30 * DAY + 1) },
      { metric: 'latency_ms', value: 100, at: ago(30 * DAY) }, // at the cutoff: kept, so accepted
      { metric: 'latency_ms', value: 100, at: ago(DAY) },
    ];
    expect(fieldsOf(() => samplesOf({ samples }, DEFAULT_SETTINGS, now))).toEqual([
      {
        field: 'samples[0].at',
        errors: ["must not be older than the tenant's retentionDays (30 days): older samples are pruned"],
      },
    ]);
    expect(samplesOf({ samples: samples.slice(1) }, DEFAULT_SETTINGS, now)).toHaveLength(2);
  });

  it('judges the age by the tenant’s retentionDays, and still refuses the future beyond 5 minutes', () => {
    const settings = { ...DEFAULT_SETTINGS, retentionDays: 60 };
    expect(samplesOf({ samples: [{ metric: 'latency_ms', value: 1, at: ago(40 * DAY) }] }, settings, now)).toHaveLength(
      1,
    );
    const fields = fieldsOf(() =>
      samplesOf(
        {
          samples: [
            { metric: 'latency_ms', value: 1, at: ago(-6 * 60_000) },
            { metric: 'latency_ms', value: 1, at: ago(61 * DAY) },
          ],
        },
        settings,
        now,
      ),
    );
    expect(fields).toEqual([
      { field: 'samples[0].at', errors: ['must not be more than 5 minutes in the future'] },
      { field: 'samples[1].at', errors: [expect.stringContaining('retentionDays (60 days)')] },
    ]);
  });
});

describe('samplesOf: a sample’s at is read as every time the API takes (utcInstant)', () => {
  const atOf = (at: string) =>
    samplesOf({ samples: [{ metric: 'latency_ms', value: 1, at }] }, DEFAULT_SETTINGS, now)[0].at;

  it('reads one without an offset as UTC, keeps an offset, and judges the future by the same reading', () => {
    expect(atOf('2026-12-06T10:00:00').toISOString()).toBe('2026-12-06T10:00:00.000Z');
    expect(atOf('2026-12-06 10:00').toISOString()).toBe('2026-12-06T10:00:00.000Z');
    expect(atOf('2026-12-06').toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(atOf('2026-12-06T10:00:00+02:00').toISOString()).toBe('2026-12-06T08:00:00.000Z');
    expect(atOf('2026-12-06T10:00:00.250Z').toISOString()).toBe('2026-12-06T10:00:00.250Z');
    // 4 minutes ahead of `now` in UTC is taken; 6 minutes ahead is the future, whatever the process's zone.
    expect(atOf('2026-12-06T12:04:00').toISOString()).toBe('2026-12-06T12:04:00.000Z');
    expect(fieldsOf(() => atOf('2026-12-06T12:06:00'))).toEqual([
      { field: 'samples[0].at', errors: ['must not be more than 5 minutes in the future'] },
    ]);
  });

  it('refuses what is not an existing ISO 8601 date, as the rest of the API does, naming the field', () => {
    for (const at of ['Sun, 06 Dec 2026 10:00:00 GMT', '12/06/2026 10:00', '2026-02-30T10:00:00', 'tuesday'])
      expect(fieldsOf(() => atOf(at))).toEqual([
        {
          field: 'samples[0].at',
          errors: ['at must be an existing ISO 8601 date such as 2026-12-01 or 2026-12-01T10:00:00Z'],
        },
      ]);
  });
});

describe('refuseAgainst: the settings and clock under the tenant’s lock', () => {
  const sample = (at: string) => ({ metric: 'latency_ms', agentId: '', capability: '', value: 1, at: new Date(at) });

  it('refuses a sample that a shortened retentionDays, or the time waited, puts past the retention', () => {
    const samples = [sample(ago(20 * DAY)), sample(ago(DAY))];
    expect(() => refuseAgainst(samples, DEFAULT_SETTINGS, now)).not.toThrow();
    expect(fieldsOf(() => refuseAgainst(samples, { ...DEFAULT_SETTINGS, retentionDays: 10 }, now))).toEqual([
      { field: 'samples[0].at', errors: [expect.stringContaining('retentionDays (10 days)')] },
    ]);
    const later = new Date(now.getTime() + 11 * DAY);
    expect(fieldsOf(() => refuseAgainst(samples, DEFAULT_SETTINGS, later))).toEqual([
      { field: 'samples[0].at', errors: [expect.stringContaining('retentionDays (30 days)')] },
    ]);
  });
});
