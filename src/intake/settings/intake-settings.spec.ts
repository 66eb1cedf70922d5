import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SETTINGS, settingsAfter } from './intake-settings.js';

describe('settingsAfter', () => {
  it('keeps what the body leaves out and replaces what it gives', () => {
    const { settings: next, errors: problems } = settingsAfter(DEFAULT_SETTINGS, {
      symptomCount: 5,
      minHistory: { samples: 48 },
      metrics: { queue_depth: { direction: 'up', warningPct: 30 } },
    });
    expect(problems).toEqual([]);
    expect(next).toMatchObject({ symptomCount: 5, minHistory: { samples: 48, spanHours: 24 }, escalationTtlHours: 4 });
    expect(next.metrics.queue_depth).toEqual({
      direction: 'up',
      warningPct: 30,
      criticalPct: null,
      allowNegative: false,
      max: null,
    });
    expect(next.metrics.latency_ms).toEqual(DEFAULT_SETTINGS.metrics.latency_ms);
    expect(DEFAULT_SETTINGS.symptomCount).toBe(3); // the defaults are not changed in place
  });

  it('removes a tenant metric given as null, never a built-in one', () => {
    const withDepth = settingsAfter(DEFAULT_SETTINGS, {
      metrics: { queue_depth: { direction: 'down', warningPct: 10 } },
    }).settings;
    expect(settingsAfter(withDepth, { metrics: { queue_depth: null } }).settings.metrics.queue_depth).toBeUndefined();
    const { errors: problems } = settingsAfter(DEFAULT_SETTINGS, { metrics: { oom_events: null } });
    expect(problems.map((p) => p.field)).toEqual(['metrics.oom_events']);
  });

  it('names every bad field', () => {
    const { errors: problems } = settingsAfter(DEFAULT_SETTINGS, {
      symptomCount: 1.5,
      escalationTtlHours: Infinity,
      alertmanager: { agentLabels: [], capabilityLabel: 'not a label', extra: 1 },
      metrics: {
        Bad: {},
        ok_name: { direction: 'up', warningPct: 50, criticalPct: 20 },
        __proto__x: { direction: 'up', warningPct: 1 },
      },
    });
    expect(problems.map((p) => p.field).sort()).toEqual([
      'alertmanager.agentLabels',
      'alertmanager.capabilityLabel',
      'alertmanager.extra',
      'escalationTtlHours',
      'metrics.Bad',
      'metrics.__proto__x',
      'metrics.ok_name.criticalPct',
      'symptomCount',
    ]);
  });

  it('refuses a merged result that leaves nothing to judge, naming both fields of each conflict', () => {
    const { settings, errors } = settingsAfter(DEFAULT_SETTINGS, {
      baselineDays: 10,
      retentionDays: 9,
      minHistory: { spanHours: 240 },
    });
    expect(settings).toBe(DEFAULT_SETTINGS);
    expect(errors.map((e) => [e.field, e.errors.length])).toEqual([
      ['minHistory.spanHours', 1],
      ['baselineDays', 2],
      ['retentionDays', 1],
    ]);
    expect(settingsAfter(DEFAULT_SETTINGS, { baselineDays: 10, minHistory: { spanHours: 239 } }).errors).toEqual([]);
  });

  it('lets settings stored before these checks, which break one already, change another field or move towards valid', () => {
    const stored = { ...structuredClone(DEFAULT_SETTINGS), retentionDays: 3 }; // below baselineDays 7: allowed once
    expect(settingsAfter(stored, { noiseMads: 4 })).toMatchObject({ errors: [], settings: { noiseMads: 4 } });
    expect(settingsAfter(stored, { retentionDays: 5 })).toMatchObject({ errors: [], settings: { retentionDays: 5 } });
    // A conflict the change brings is still refused.
    const worse = settingsAfter(stored, { minHistory: { spanHours: 200 } });
    expect(worse.settings).toBe(stored);
    expect(worse.errors.map((e) => e.field)).toEqual(['minHistory.spanHours', 'baselineDays']);
  });
});
