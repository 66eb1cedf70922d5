import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../invalid-input.js';
import { applySettings, DEFAULT_SETTINGS } from './intake-settings.js';

describe('applySettings', () => {
  it('keeps what the body leaves out and replaces what it gives', () => {
    const problems: Problem[] = [];
    const next = applySettings(DEFAULT_SETTINGS, { symptomCount: 5, minHistory: { samples: 48 }, metrics: { queue_depth: { direction: 'up', warningPct: 30 } } }, problems);
    expect(problems).toEqual([]);
    expect(next).toMatchObject({ symptomCount: 5, minHistory: { samples: 48, spanHours: 24 }, escalationTtlHours: 4 });
    expect(next.metrics.queue_depth).toEqual({ direction: 'up', warningPct: 30, criticalPct: null, allowNegative: false, max: null });
    expect(next.metrics.latency_ms).toEqual(DEFAULT_SETTINGS.metrics.latency_ms);
    expect(DEFAULT_SETTINGS.symptomCount).toBe(3); // the defaults are not changed in place
  });

  it('removes a tenant metric given as null, never a built-in one', () => {
    const problems: Problem[] = [];
    const withDepth = applySettings(DEFAULT_SETTINGS, { metrics: { queue_depth: { direction: 'down', warningPct: 10 } } }, problems);
    expect(applySettings(withDepth, { metrics: { queue_depth: null } }, problems).metrics.queue_depth).toBeUndefined();
    applySettings(DEFAULT_SETTINGS, { metrics: { oom_events: null } }, problems);
    expect(problems.map((p) => p.field)).toEqual(['metrics.oom_events']);
  });

  it('names every bad field', () => {
    const problems: Problem[] = [];
    applySettings(DEFAULT_SETTINGS, {
      symptomCount: 1.5, escalationTtlHours: Infinity, alertmanager: { agentLabels: [], capabilityLabel: 'not a label', extra: 1 },
      metrics: { Bad: {}, ok_name: { direction: 'up', warningPct: 50, criticalPct: 20 }, __proto__x: { direction: 'up', warningPct: 1 } },
    }, problems);
    expect(problems.map((p) => p.field).sort()).toEqual([
      'alertmanager.agentLabels', 'alertmanager.capabilityLabel', 'alertmanager.extra', 'escalationTtlHours',
      'metrics.Bad', 'metrics.__proto__x', 'metrics.ok_name.criticalPct', 'symptomCount',
    ]);
  });
});
