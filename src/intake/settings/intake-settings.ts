import { isPlainObject, type Problem } from '../invalid-input.js';

/** Which way a metric gets worse: `up` (latency) or `down` (throughput). */
export type Direction = 'up' | 'down';

/** How one metric is judged against its baseline. Percentages are of the baseline median. */
export interface MetricRule {
  direction: Direction;
  warningPct: number;
  /** null: no critical level by percentage (OOM events: only a first one over a zero baseline is critical). */
  criticalPct: number | null;
  /** Values below 0 are refused unless the metric allows them. */
  allowNegative: boolean;
  /** Values above this are refused (pass rate is a fraction: 1). */
  max: number | null;
}

export const BUILT_IN_METRICS = ['latency_ms', 'throughput', 'pass_rate', 'oom_events'] as const;

/** Per-tenant settings of intake and degradation detection (`GET/PUT /signals/settings`). */
export interface IntakeSettings {
  /** The built-in kinds plus the tenant's own. */
  metrics: Record<string, MetricRule>;
  /** Trailing window of the baseline. */
  baselineDays: number;
  /** `symptomCount` symptoms of one kind for one agent within `symptomWindowHours` arm an escalation. */
  symptomWindowHours: number;
  symptomCount: number;
  escalationTtlHours: number;
  /** Below this history a series raises no symptom. */
  minHistory: { samples: number; spanHours: number };
  /** A breach must also exceed this many (scaled) MADs, so a metric's usual noise does not count as a regression. */
  noiseMads: number;
  /** Samples (and symptoms) older than this are deleted. */
  retentionDays: number;
  alertmanager: {
    /** The first of these labels an alert carries names the agent. */
    agentLabels: string[];
    capabilityLabel: string;
  };
}

export const DEFAULT_SETTINGS: IntakeSettings = {
  metrics: {
    latency_ms: { direction: 'up', warningPct: 20, criticalPct: 50, allowNegative: false, max: null },
    throughput: { direction: 'down', warningPct: 15, criticalPct: 30, allowNegative: false, max: null },
    pass_rate: { direction: 'down', warningPct: 15, criticalPct: 30, allowNegative: false, max: 1 },
    oom_events: { direction: 'up', warningPct: 50, criticalPct: null, allowNegative: false, max: null },
  },
  baselineDays: 7,
  symptomWindowHours: 24,
  symptomCount: 3,
  escalationTtlHours: 4,
  minHistory: { samples: 24, spanHours: 24 },
  noiseMads: 3,
  retentionDays: 30,
  alertmanager: { agentLabels: ['service', 'job'], capabilityLabel: 'capability' },
};

const METRIC_NAME = /^[a-z][a-z0-9_.]{0,63}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
const MAX_METRICS = 100;

/**
 * `current` with the fields of a `PUT /signals/settings` body applied (fields left out keep
 * their value; a metric given replaces that metric's rule). Problems are collected, not thrown.
 */
export function applySettings(current: IntakeSettings, body: unknown, problems: Problem[]): IntakeSettings {
  if (!isPlainObject(body)) {
    problems.push({ field: 'body', error: 'must be a JSON object' });
    return current;
  }
  const next: IntakeSettings = structuredClone(current);
  const known = new Set(Object.keys(DEFAULT_SETTINGS));
  for (const key of Object.keys(body)) if (!known.has(key)) problems.push({ field: key, error: 'is not a setting' });
  const number = (path: string, v: unknown, min: number, max: number, integer = false): number | undefined => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      problems.push({ field: path, error: `must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}` });
      return undefined;
    }
    return v;
  };
  const set = <K extends keyof IntakeSettings>(key: K, min: number, max: number, integer = false) => {
    if (body[key] === undefined) return;
    const v = number(key, body[key], min, max, integer);
    if (v !== undefined) (next[key] as number) = v;
  };
  set('baselineDays', 1, 90, true);
  set('symptomWindowHours', 1, 24 * 30);
  set('symptomCount', 1, 1000, true);
  set('escalationTtlHours', 0.01, 24 * 30);
  set('noiseMads', 0, 100);
  set('retentionDays', 1, 3650, true);
  if (body.minHistory !== undefined) {
    if (!isPlainObject(body.minHistory)) problems.push({ field: 'minHistory', error: 'must be an object {samples, spanHours}' });
    else {
      for (const key of Object.keys(body.minHistory)) if (key !== 'samples' && key !== 'spanHours') problems.push({ field: `minHistory.${key}`, error: 'is not a setting' });
      if (body.minHistory.samples !== undefined) next.minHistory.samples = number('minHistory.samples', body.minHistory.samples, 1, 100_000, true) ?? next.minHistory.samples;
      if (body.minHistory.spanHours !== undefined) next.minHistory.spanHours = number('minHistory.spanHours', body.minHistory.spanHours, 0, 24 * 90) ?? next.minHistory.spanHours;
    }
  }
  if (body.alertmanager !== undefined) {
    const am = body.alertmanager;
    if (!isPlainObject(am)) problems.push({ field: 'alertmanager', error: 'must be an object {agentLabels, capabilityLabel}' });
    else {
      for (const key of Object.keys(am)) if (key !== 'agentLabels' && key !== 'capabilityLabel') problems.push({ field: `alertmanager.${key}`, error: 'is not a setting' });
      if (am.agentLabels !== undefined) {
        if (!Array.isArray(am.agentLabels) || am.agentLabels.length < 1 || am.agentLabels.length > 10 || !am.agentLabels.every((l) => typeof l === 'string' && LABEL_NAME.test(l))) {
          problems.push({ field: 'alertmanager.agentLabels', error: 'must be 1-10 Prometheus label names' });
        } else next.alertmanager.agentLabels = am.agentLabels as string[];
      }
      if (am.capabilityLabel !== undefined) {
        if (typeof am.capabilityLabel !== 'string' || !LABEL_NAME.test(am.capabilityLabel)) problems.push({ field: 'alertmanager.capabilityLabel', error: 'must be a Prometheus label name' });
        else next.alertmanager.capabilityLabel = am.capabilityLabel;
      }
    }
  }
  if (body.metrics !== undefined) {
    if (!isPlainObject(body.metrics)) problems.push({ field: 'metrics', error: 'must be an object of metric name → rule' });
    else {
      for (const [name, raw] of Object.entries(body.metrics)) {
        const path = `metrics.${name}`;
        if (!METRIC_NAME.test(name)) { problems.push({ field: path, error: 'metric names are 1-64 lower-case letters, digits, _ or .' }); continue; }
        if (raw === null) {
          if ((BUILT_IN_METRICS as readonly string[]).includes(name)) problems.push({ field: path, error: 'a built-in metric cannot be removed' });
          else delete next.metrics[name];
          continue;
        }
        const rule = metricRule(path, raw, problems);
        if (rule) next.metrics[name] = rule;
      }
      if (Object.keys(next.metrics).length > MAX_METRICS) problems.push({ field: 'metrics', error: `at most ${MAX_METRICS} metrics` });
    }
  }
  return next;
}

function metricRule(path: string, raw: unknown, problems: Problem[]): MetricRule | null {
  if (!isPlainObject(raw)) {
    problems.push({ field: path, error: 'must be {direction, warningPct, criticalPct?, allowNegative?, max?} or null to remove it' });
    return null;
  }
  const before = problems.length;
  const allowed = new Set(['direction', 'warningPct', 'criticalPct', 'allowNegative', 'max']);
  for (const key of Object.keys(raw)) if (!allowed.has(key)) problems.push({ field: `${path}.${key}`, error: 'is not a rule field' });
  if (raw.direction !== 'up' && raw.direction !== 'down') problems.push({ field: `${path}.direction`, error: 'must be "up" (higher is worse) or "down" (lower is worse)' });
  const pct = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 10_000;
  if (!pct(raw.warningPct)) problems.push({ field: `${path}.warningPct`, error: 'must be a percentage above 0' });
  const criticalPct = raw.criticalPct ?? null;
  if (criticalPct !== null && (!pct(criticalPct) || (pct(raw.warningPct) && (criticalPct as number) < (raw.warningPct as number)))) {
    problems.push({ field: `${path}.criticalPct`, error: 'must be null or a percentage not below warningPct' });
  }
  if (raw.allowNegative !== undefined && typeof raw.allowNegative !== 'boolean') problems.push({ field: `${path}.allowNegative`, error: 'must be true or false' });
  const max = raw.max ?? null;
  if (max !== null && (typeof max !== 'number' || !Number.isFinite(max))) problems.push({ field: `${path}.max`, error: 'must be null or a finite number' });
  if (problems.length > before) return null;
  return {
    direction: raw.direction as Direction,
    warningPct: raw.warningPct as number,
    criticalPct: criticalPct as number | null,
    allowNegative: (raw.allowNegative as boolean | undefined) ?? false,
    max: max as number | null,
  };
}
