import { describe, expect, it } from '@jest/globals';
import { DEFAULT_GUARDRAIL_SETTINGS, formatDuration, settingsFrom } from './guardrail-settings.js';

describe('guardrail settings', () => {
  it("defaults to no guardrail at all on ordinary runs, and to seed 004's bounds on canary runs", () => {
    expect(settingsFrom(null)).toEqual({
      maintenanceWindows: [],
      maxAutomaticRunsPerHour: null,
      oneActiveRunPerAgentCapability: false,
      cooldownMs: 0,
      dailyAutomaticRunBudgetMs: null,
      canaryRunsPer24h: 3,
      canaryCooldownMs: 6 * 3600_000,
      canaryDailyBudgetMs: 60_000,
    });
    expect(settingsFrom({})).toEqual(DEFAULT_GUARDRAIL_SETTINGS);
  });

  it('an explicit null turns a canary limit off; only a missing field takes the default', () => {
    const s = settingsFrom({ canaryRunsPer24h: null, canaryDailyBudgetMs: null });
    expect(s).toMatchObject({ canaryRunsPer24h: null, canaryDailyBudgetMs: null, canaryCooldownMs: 6 * 3600_000 });
    expect(settingsFrom({ canaryCooldownMs: 0 }).canaryCooldownMs).toBe(0);
  });

  it('a stored document keeps its values; a field it lacks takes its default', () => {
    const stored = {
      maxAutomaticRunsPerHour: 3,
      maintenanceWindows: [{ days: ['mon' as const], start: '01:00', end: '02:00', timeZone: 'UTC' }],
    };
    const s = settingsFrom(stored);
    expect(s).toEqual({ ...DEFAULT_GUARDRAIL_SETTINGS, ...stored });
    s.maintenanceWindows[0].days.push('tue');
    expect(stored.maintenanceWindows[0].days).toEqual(['mon']); // a copy
  });

  it('formats durations for a sentence', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(750_000)).toBe('12 min 30 s');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(3 * 3600_000 + 5 * 60_000 + 7_000)).toBe('3 h 5 min');
    expect(formatDuration(-5)).toBe('0 ms');
  });
});
