import { describe, expect, it } from '@jest/globals';
import type { WebhookAlert } from './alertmanager-payload.js';
import { endedBeforeItsFiring, endedUnseen, lateCopyOf, monitoringTime } from './late-alerts.js';

const ZERO = '0001-01-01T00:00:00Z';
const alert = (a: Partial<WebhookAlert>): WebhookAlert => ({
  status: 'firing',
  labels: { alertname: 'HighLatency' },
  annotations: {},
  startsAt: '2026-12-06T10:00:00Z',
  endsAt: ZERO,
  generatorURL: '',
  fingerprint: 'fp1',
  ...a,
});
const resolvedAt = (endedAt: string | null) =>
  new Map([['fp1', { incidentId: 'inc-1', alertEndedAt: endedAt === null ? null : new Date(endedAt) }]]);

describe('monitoringTime', () => {
  it('reads a time with an offset, and gives null for the zero time, nothing and garbage', () => {
    expect(monitoringTime('2026-12-06T10:00:00.250+01:00')).toEqual(new Date('2026-12-06T09:00:00.250Z'));
    expect(monitoringTime(ZERO)).toBeNull();
    expect(monitoringTime(undefined)).toBeNull();
    expect(monitoringTime('')).toBeNull();
    expect(monitoringTime('yesterday-ish')).toBeNull();
  });
});

describe('lateCopyOf', () => {
  it('names the resolved incident when the firing started before the alert last ended', () => {
    expect(lateCopyOf(alert({ startsAt: '2026-12-06T10:00:00Z' }), resolvedAt('2026-12-06T10:05:00Z'))).toBe('inc-1');
  });

  it('is no copy when the firing started at or after that end (a new firing)', () => {
    expect(lateCopyOf(alert({ startsAt: '2026-12-06T10:05:00Z' }), resolvedAt('2026-12-06T10:05:00Z'))).toBeNull();
    expect(lateCopyOf(alert({ startsAt: '2026-12-06T10:06:00Z' }), resolvedAt('2026-12-06T10:05:00Z'))).toBeNull();
  });

  it('judges nothing without both times, or for another fingerprint', () => {
    expect(lateCopyOf(alert({}), resolvedAt(null))).toBeNull();
    expect(lateCopyOf(alert({ startsAt: ZERO }), resolvedAt('2026-12-06T10:05:00Z'))).toBeNull();
    expect(lateCopyOf(alert({ fingerprint: 'fp2' }), resolvedAt('2026-12-06T10:05:00Z'))).toBeNull();
    expect(lateCopyOf(alert({}), new Map())).toBeNull();
  });
});

describe('endedBeforeItsFiring', () => {
  const firingFrom = (startsAt: unknown) => ({ context: { alert: { startsAt } } });

  it('is true only when the resolved alert ended before the open incident’s firing started', () => {
    const resolved = alert({ status: 'resolved', startsAt: '2026-12-06T09:00:00Z', endsAt: '2026-12-06T09:30:00Z' });
    expect(endedBeforeItsFiring(resolved, firingFrom('2026-12-06T10:00:00Z'))).toBe(true);
    expect(endedBeforeItsFiring(resolved, firingFrom('2026-12-06T09:30:00Z'))).toBe(false);
    expect(endedBeforeItsFiring(resolved, firingFrom('2026-12-06T09:00:00Z'))).toBe(false);
  });

  it('is false when either time is missing: a resolution with nothing to compare resolves', () => {
    const resolved = alert({ status: 'resolved', endsAt: '2026-12-06T09:30:00Z' });
    expect(endedBeforeItsFiring(resolved, firingFrom(ZERO))).toBe(false);
    expect(endedBeforeItsFiring(resolved, firingFrom(12345))).toBe(false);
    expect(endedBeforeItsFiring(resolved, { context: {} })).toBe(false);
    expect(endedBeforeItsFiring(alert({ status: 'resolved', endsAt: ZERO }), firingFrom('2026-12-06T10:00:00Z'))).toBe(
      false,
    );
  });
});

describe('endedUnseen', () => {
  const ends = new Map([['fp1', new Date('2026-12-06T10:05:00Z')]]);
  it('is true for a firing that started before an unmatched resolution of its alert ended', () => {
    expect(endedUnseen(alert({}), ends)).toBe(true);
    expect(endedUnseen(alert({ startsAt: '2026-12-06T11:04:59+01:00' }), ends)).toBe(true);
  });
  it('is false for a firing that started at or after that end, another alert, or the zero start time', () => {
    expect(endedUnseen(alert({ startsAt: '2026-12-06T10:05:00Z' }), ends)).toBe(false);
    expect(endedUnseen(alert({ fingerprint: 'fp2' }), ends)).toBe(false);
    expect(endedUnseen(alert({ startsAt: ZERO }), ends)).toBe(false);
  });
});
