import { isPlainObject, type Problem } from '../invalid-input.js';
import type { IntakeSettings } from '../settings/intake-settings.js';

export interface Sample {
  metric: string;
  /** '' when the sample names none (the column is NOT NULL so series match by equality). */
  agentId: string;
  capability: string;
  value: number;
  at: Date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,127}$/;
const FIELDS = new Set(['metric', 'agentId', 'capability', 'value', 'at']);
/** Samples from the future beyond this are refused: a clock that far off would poison the baseline. */
const MAX_FUTURE_MS = 5 * 60_000;

/** Checks `{samples: [...]}` against the tenant's metrics; problems name each field (`samples[3].value`). */
export function parseSamples(body: unknown, settings: IntakeSettings, now: Date, problems: Problem[]): Sample[] {
  if (!isPlainObject(body) || !Array.isArray(body.samples) || body.samples.length === 0) {
    problems.push({ field: 'samples', error: 'the body must be {"samples": [ {metric, agentId?, capability?, value, at?}, … ]} with at least one sample' });
    return [];
  }
  for (const key of Object.keys(body)) if (key !== 'samples') problems.push({ field: key, error: 'is not a field' });
  const out: Sample[] = [];
  body.samples.forEach((raw: unknown, i: number) => {
    const path = `samples[${i}]`;
    if (!isPlainObject(raw)) {
      problems.push({ field: path, error: 'must be an object' });
      return;
    }
    for (const key of Object.keys(raw)) if (!FIELDS.has(key)) problems.push({ field: `${path}.${key}`, error: 'is not a field' });
    const before = problems.length;
    const rule = typeof raw.metric === 'string' && Object.hasOwn(settings.metrics, raw.metric) ? settings.metrics[raw.metric] : undefined;
    if (!rule) {
      problems.push({ field: `${path}.metric`, error: `must be one of ${Object.keys(settings.metrics).join(', ')} (define others in PUT /signals/settings)` });
    }
    for (const key of ['agentId', 'capability'] as const) {
      if (raw[key] !== undefined && (typeof raw[key] !== 'string' || !NAME.test(raw[key] as string))) {
        problems.push({ field: `${path}.${key}`, error: `must be 1-128 letters, digits or ._:/- characters` });
      }
    }
    const value = raw.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) problems.push({ field: `${path}.value`, error: 'must be a finite number' });
    else if (rule && value < 0 && !rule.allowNegative) problems.push({ field: `${path}.value`, error: `${raw.metric} cannot be negative` });
    else if (rule && rule.max !== null && value > rule.max) problems.push({ field: `${path}.value`, error: `${raw.metric} cannot exceed ${rule.max}` });
    let at = now;
    if (raw.at !== undefined) {
      const ms = typeof raw.at === 'string' ? Date.parse(raw.at) : NaN;
      if (Number.isNaN(ms)) problems.push({ field: `${path}.at`, error: 'must be an ISO 8601 time' });
      else if (ms > now.getTime() + MAX_FUTURE_MS) problems.push({ field: `${path}.at`, error: 'must not be more than 5 minutes in the future' });
      else at = new Date(ms);
    }
    if (problems.length > before) return;
    out.push({ metric: raw.metric as string, agentId: (raw.agentId as string) ?? '', capability: (raw.capability as string) ?? '', value: value as number, at });
  });
  return out;
}
