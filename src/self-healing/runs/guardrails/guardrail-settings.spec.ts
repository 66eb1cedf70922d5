import { describe, expect, it } from '@jest/globals';
import { DEFAULT_GUARDRAIL_SETTINGS, formatDuration, settingsFrom } from './guardrail-settings.js';

describe('guardrail settings', () => {
  it('defaults to no guardrail at all', () => {
    expect(settingsFrom(null)).toEqual({
      maintenanceWindows: [],
      maxAutomaticRunsPerHour: null,
      oneActiveRunPerAgentCapability: false,
      cooldownMs: 0,
      dailyAutomaticRunBudgetMs: null,
    });
    expect(settingsFrom({})).toEqual(DEFAULT_GUARDRAIL_SETTINGS);
  });

  it('a stored document keeps its values; a field it lacks takes its default', () => {
    const stored = { maxAutomaticRunsPerHour: 3, maintenanceWindows: [{ days: ['mon' as const], start: '01:00', end: '02:00', timeZone: 'UTC' }] };
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
