import {
  checkBody,
  type FieldError,
  invalidFields,
  isCalendarDate,
  utcInstant,
} from '../../platform/http/validation.js';
import type { IntakeSettings } from '../settings/intake-settings.js';
import { RecordSamplesDto } from './record-samples/record-samples.dto.js';

export interface Sample {
  metric: string;
  /** '' when the sample names none (the column is NOT NULL so series match by equality). */
  agentId: string;
  capability: string;
  value: number;
  at: Date;
}

/** Samples from the future beyond this are refused: a clock that far off would poison the baseline. */
const MAX_FUTURE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `{samples: [...]}` checked by RecordSamplesDto and against the tenant's metrics (which exist,
 * which values they take) and the clock (`at` neither more than 5 minutes ahead nor older than the
 * tenant's `retentionDays`), every problem in one 400 naming each field (`samples[3].value`), in the
 * order of the samples. `now` is this host's clock, the one the request's prune reads.
 */
export function samplesOf(body: unknown, settings: IntakeSettings, now: Date): Sample[] {
  const { value, errors } = checkBody(RecordSamplesDto, body, { unknownFields: 'refuse' });
  const raw = isObject(body) && Array.isArray(body.samples) ? body.samples : [];
  const problems: FieldError[] = [
    ...errors,
    ...raw.flatMap((s: unknown, i: number) => tenantProblems(s, i, settings, now)),
  ];
  if (problems.length || !value) {
    const indexOf = (f: FieldError) => Number(/^samples\[(\d+)\]/.exec(f.field)?.[1] ?? -1);
    throw invalidFields(
      problems
        .map((f, order) => ({ f, order }))
        .sort((a, b) => indexOf(a.f) - indexOf(b.f) || a.order - b.order)
        .map(({ f }) => f),
    );
  }
  return value.samples.map((s) => ({
    metric: s.metric,
    agentId: s.agentId ?? '',
    capability: s.capability ?? '',
    value: s.value,
    at: s.at === undefined ? now : utcInstant(s.at),
  }));
}

/**
 * Samples checked by samplesOf against settings read before the request's transaction, checked
 * again against the settings they are judged by (read under the tenant's lock) and the clock then
 * (`now`, this host's, the one the request's prune uses): a metric removed, or bounded, or a
 * `retentionDays` shortened meanwhile, or a sample that aged past it while the request waited, is a
 * 400 naming the field, as samplesOf's. `samples` in the request's order.
 */
export function refuseAgainst(samples: Sample[], settings: IntakeSettings, now: Date): void {
  const problems = samples.flatMap((s, i) => {
    const path = `samples[${i}]`;
    return [...ruleProblems(s, path, settings), ...retentionProblems(s.at.getTime(), path, settings, now)];
  });
  if (problems.length) throw invalidFields(problems);
}

/**
 * The earliest `at` a sample may have at `now`: older ones would be pruned by the very request
 * that stores them, after being judged, and could arm an escalation whose evidence is gone (ADR 0010).
 */
export function retentionCutoff(settings: IntakeSettings, now: Date): Date {
  return new Date(now.getTime() - settings.retentionDays * DAY_MS);
}

/** A sample older than the tenant's retention: a problem naming `at`. */
function retentionProblems(at: number, path: string, settings: IntakeSettings, now: Date): FieldError[] {
  if (!(at < retentionCutoff(settings, now).getTime())) return [];
  return [
    {
      field: `${path}.at`,
      errors: [
        `must not be older than the tenant's retentionDays (${settings.retentionDays} days): older samples are pruned`,
      ],
    },
  ];
}

/** What the tenant's settings and the clock say of one sample's fields that are well-formed themselves. */
function tenantProblems(s: unknown, i: number, settings: IntakeSettings, now: Date): FieldError[] {
  if (!isObject(s)) return [];
  const path = `samples[${i}]`;
  const problems = ruleProblems(s, path, settings);
  // Read as samplesOf stores it: without an offset, UTC (Date.parse would read this process's zone).
  const at = isCalendarDate(s.at) ? utcInstant(s.at as string).getTime() : NaN;
  if (at > now.getTime() + MAX_FUTURE_MS) {
    problems.push({ field: `${path}.at`, errors: ['must not be more than 5 minutes in the future'] });
  }
  problems.push(...retentionProblems(at, path, settings, now));
  return problems;
}

/**
 * A bound on a sample's size: the baseline's median and deviations of values near the float8 limit
 * (±1.7e308, on a metric that allows negatives) overflow in PostgreSQL, a 500 that lost the batch.
 * ±1e15 holds any measurement (a petabyte in bytes, thirty years in microseconds).
 */
const MAX_MAGNITUDE = 1e15;

/** Whether the sample's metric is one of the tenant's, and its value one that metric takes. */
function ruleProblems(s: { metric?: unknown; value?: unknown }, path: string, settings: IntakeSettings): FieldError[] {
  const problems: FieldError[] = [];
  const rule =
    typeof s.metric === 'string' && Object.hasOwn(settings.metrics, s.metric) ? settings.metrics[s.metric] : undefined;
  if (typeof s.metric === 'string' && !rule) {
    const known = Object.keys(settings.metrics).join(', ');
    problems.push({
      field: `${path}.metric`,
      errors: [`must be one of ${known} (define others in PUT /signals/settings)`],
    });
  }
  if (typeof s.value === 'number' && Math.abs(s.value) > MAX_MAGNITUDE && Number.isFinite(s.value)) {
    problems.push({ field: `${path}.value`, errors: ['must be between -1e15 and 1e15'] });
  } else if (rule && typeof s.value === 'number' && Number.isFinite(s.value)) {
    if (s.value < 0 && !rule.allowNegative)
      problems.push({ field: `${path}.value`, errors: [`${s.metric} cannot be negative`] });
    else if (rule.max !== null && s.value > rule.max)
      problems.push({ field: `${path}.value`, errors: [`${s.metric} cannot exceed ${rule.max}`] });
  }
  return problems;
}
