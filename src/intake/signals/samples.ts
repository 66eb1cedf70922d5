import { checkBody, type FieldError, invalidFields } from '../../platform/http/validation.js';
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `{samples: [...]}` checked by RecordSamplesDto and against the tenant's metrics (which exist,
 * which values they take) and the clock, every problem in one 400 naming each field
 * (`samples[3].value`), in the order of the samples.
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
    at: s.at === undefined ? now : new Date(s.at),
  }));
}

/**
 * Samples checked by samplesOf against settings read before the request's transaction, checked
 * again against the settings they are judged by (read under the tenant's lock): a metric removed,
 * or bounded, meanwhile is a 400 naming the field, as samplesOf's. `samples` in the request's order.
 */
export function refuseAgainst(samples: Sample[], settings: IntakeSettings): void {
  const problems = samples.flatMap((s, i) => ruleProblems(s, `samples[${i}]`, settings));
  if (problems.length) throw invalidFields(problems);
}

/** What the tenant's settings and the clock say of one sample's fields that are well-formed themselves. */
function tenantProblems(s: unknown, i: number, settings: IntakeSettings, now: Date): FieldError[] {
  if (!isObject(s)) return [];
  const path = `samples[${i}]`;
  const problems = ruleProblems(s, path, settings);
  if (typeof s.at === 'string' && Date.parse(s.at) > now.getTime() + MAX_FUTURE_MS) {
    problems.push({ field: `${path}.at`, errors: ['must not be more than 5 minutes in the future'] });
  }
  return problems;
}

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
  if (rule && typeof s.value === 'number' && Number.isFinite(s.value)) {
    if (s.value < 0 && !rule.allowNegative)
      problems.push({ field: `${path}.value`, errors: [`${s.metric} cannot be negative`] });
    else if (rule.max !== null && s.value > rule.max)
      problems.push({ field: `${path}.value`, errors: [`${s.metric} cannot exceed ${rule.max}`] });
  }
  return problems;
}
