import { checkBody, type FieldError } from '../../platform/http/validation.js';
import { MetricRuleDto, UpdateIntakeSettingsDto } from './update-settings/update-intake-settings.dto.js';

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
    /** The first of these labels whose value makes an agent id names the agent (an empty or unusable one is passed over). */
    agentLabels: string[];
    capabilityLabel: string;
    /**
     * For this long after monitoring resolved an alert (or after a resolution of it that found no
     * incident), a firing of it that started before it ended is a late copy (no incident). 0, the default, turns this off: an alert Alertmanager resolved
     * by timeout that fires on with its old startsAt looks the same (see the README).
     */
    lateCopySeconds: number;
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
  alertmanager: { agentLabels: ['service', 'job'], capabilityLabel: 'capability', lateCopySeconds: 0 },
};

const METRIC_NAME = /^[a-z][a-z0-9_.]{0,63}$/;
const MAX_METRICS = 100;

/**
 * The metrics of a `PUT /signals/settings` body applied to `current`'s: a rule given replaces
 * that metric's (checked by MetricRuleDto), null removes one of the tenant's own metrics. With
 * every offending field (`metrics.<name>…`).
 */
function metricChanges(
  current: Record<string, MetricRule>,
  changes: Record<string, unknown>,
): { metrics: Record<string, MetricRule>; errors: FieldError[] } {
  const metrics = structuredClone(current);
  const errors: FieldError[] = [];
  for (const [name, raw] of Object.entries(changes)) {
    const path = `metrics.${name}`;
    if (!METRIC_NAME.test(name)) {
      errors.push({ field: path, errors: ['metric names are 1-64 lower-case letters, digits, _ or .'] });
    } else if (raw === null) {
      if ((BUILT_IN_METRICS as readonly string[]).includes(name))
        errors.push({ field: path, errors: ['a built-in metric cannot be removed'] });
      else delete metrics[name];
    } else {
      const rule = checkBody(MetricRuleDto, raw, { unknownFields: 'refuse', path });
      errors.push(...rule.errors);
      if (rule.value) {
        const { direction, warningPct, criticalPct, allowNegative, max } = rule.value;
        metrics[name] = {
          direction,
          warningPct,
          criticalPct: criticalPct ?? null,
          allowNegative: allowNegative ?? false,
          max: max ?? null,
        };
      }
    }
  }
  if (Object.keys(metrics).length > MAX_METRICS)
    errors.push({ field: 'metrics', errors: [`at most ${MAX_METRICS} metrics`] });
  return { metrics, errors };
}

/**
 * `current` with a `PUT /signals/settings` body applied (fields left out keep their value; a
 * metric given replaces that metric's rule, null removes one of the tenant's own), or every
 * offending field: the body is checked by UpdateIntakeSettingsDto, each metric by MetricRuleDto,
 * then the merged result by conflictsOf.
 */
export function settingsAfter(
  current: IntakeSettings,
  body: unknown,
): { settings: IntakeSettings; errors: FieldError[] } {
  const { value: dto, errors } = checkBody(UpdateIntakeSettingsDto, body, { unknownFields: 'refuse' });
  // The metrics are checked even when other fields are wrong: one 400 names them all.
  const changes = (body as { metrics?: unknown } | null)?.metrics;
  const isMap = typeof changes === 'object' && changes !== null && !Array.isArray(changes);
  const metrics = isMap
    ? metricChanges(current.metrics, changes as Record<string, unknown>)
    : { metrics: current.metrics, errors: [] };
  if (!dto || metrics.errors.length) return { settings: current, errors: [...errors, ...metrics.errors] };
  const next: IntakeSettings = structuredClone(current);
  for (const key of [
    'baselineDays',
    'symptomWindowHours',
    'symptomCount',
    'escalationTtlHours',
    'noiseMads',
    'retentionDays',
  ] as const) {
    if (dto[key] !== undefined) next[key] = dto[key];
  }
  if (dto.minHistory?.samples !== undefined) next.minHistory.samples = dto.minHistory.samples;
  if (dto.minHistory?.spanHours !== undefined) next.minHistory.spanHours = dto.minHistory.spanHours;
  if (dto.alertmanager?.agentLabels !== undefined) next.alertmanager.agentLabels = dto.alertmanager.agentLabels;
  if (dto.alertmanager?.capabilityLabel !== undefined)
    next.alertmanager.capabilityLabel = dto.alertmanager.capabilityLabel;
  if (dto.alertmanager?.lateCopySeconds !== undefined)
    next.alertmanager.lateCopySeconds = dto.alertmanager.lateCopySeconds;
  next.metrics = metrics.metrics;
  // Settings stored before these checks existed may break one already: only a conflict this change
  // brings is refused, so an admin can still change another field (or move towards valid ones).
  const before = new Set(conflictsOf(current).map((c) => c.rule));
  const conflicts = conflictsOf(next).filter((c) => !before.has(c.rule));
  if (conflicts.length === 0) return { settings: next, errors: [] };
  const byField = new Map<string, string[]>();
  for (const c of conflicts)
    for (const [field, error] of c.fields) byField.set(field, [...(byField.get(field) ?? []), error]);
  return { settings: current, errors: [...byField].map(([field, messages]) => ({ field, errors: messages })) };
}

/**
 * The rules the settings break that would leave the detector nothing to judge, each with its two
 * fields and why: a history longer than the baseline window can hold is never reached, and pruning
 * must not delete the samples a baseline needs or the symptoms a window counts.
 */
function conflictsOf(s: IntakeSettings): Array<{ rule: string; fields: Array<[string, string]> }> {
  const conflicts: Array<{ rule: string; fields: Array<[string, string]> }> = [];
  const baselineHours = s.baselineDays * 24;
  if (s.minHistory.spanHours >= baselineHours)
    conflicts.push({
      rule: 'history within the baseline',
      fields: [
        [
          'minHistory.spanHours',
          `must be below baselineDays × 24 (${baselineHours}): a baseline's samples span less than its window, so no sample would be judged`,
        ],
        [
          'baselineDays',
          `must be more than minHistory.spanHours (${s.minHistory.spanHours}) / 24: a baseline's samples span less than its window, so no sample would be judged`,
        ],
      ],
    });
  if (s.retentionDays < s.baselineDays)
    conflicts.push({
      rule: 'baseline kept',
      fields: [
        [
          'retentionDays',
          `must be at least baselineDays (${s.baselineDays}): pruning would delete the samples a baseline needs`,
        ],
        [
          'baselineDays',
          `must be at most retentionDays (${s.retentionDays}): pruning would delete the samples a baseline needs`,
        ],
      ],
    });
  if (s.retentionDays * 24 < s.symptomWindowHours)
    conflicts.push({
      rule: 'symptoms kept',
      fields: [
        [
          'retentionDays',
          `must be at least symptomWindowHours (${s.symptomWindowHours}) / 24: pruning would delete the symptoms a window counts`,
        ],
        [
          'symptomWindowHours',
          `must be at most retentionDays × 24 (${s.retentionDays * 24}): pruning would delete the symptoms a window counts`,
        ],
      ],
    });
  return conflicts;
}
