/*
 * A `canary` step (DESIGN §13, seed 004's config tuning runner): a few candidate parameter sets,
 * each applied to an isolated canary and judged by a CEL check over the canary's answer; the best
 * passing one (by a CEL score) is promoted, and when none passes the canary is restored. This file
 * is its definition and its validation at load time; runs/engine/canary-trial.ts runs it.
 */

/** Seed 004 tries six candidates; a playbook may ask for fewer or up to MAX_CANDIDATES. */
export const DEFAULT_MAX_CANDIDATES = 6;
export const MAX_CANDIDATES = 20;
/** Seed 004's restore SLA. */
export const DEFAULT_RESTORE_WITHIN_MS = 15_000;
const MAX_MS = 24 * 3600_000;
export const ON_NO_CANDIDATE = ['fail', 'escalate'] as const;
export type OnNoCandidate = (typeof ON_NO_CANDIDATE)[number];

export interface CanarySpec {
  /** The parameter sets to try, in order (a `{param, values | range}` generator is expanded at load). */
  candidates: Array<Record<string, unknown>>;
  /** The candidates' parameter names in the playbook's order, for sentences (stored as jsonb, objects lose it). */
  paramOrder: string[];
  /** Sent to apply one candidate to the isolated canary, e.g. `{action: "canary_apply"}`. */
  apply: Record<string, unknown>;
  /** CEL over `response` (`status`, `body`) and `candidate`: true passes. */
  check: string;
  /** CEL over the same, giving a number: the passing candidate with the highest score wins (ties: the earlier one). */
  score: string;
  /** Sent with the winner, e.g. `{action: "promote_config"}`. */
  promote: Record<string, unknown>;
  /** Sent when no candidate passes, e.g. `{action: "canary_restore"}`. */
  restore: Record<string, unknown>;
  /** The restore's SLA: the run reports whether it was met. */
  restoreWithinMs: number;
  onNoCandidate: OnNoCandidate;
  /** Time for trying candidates, from the step's start; candidates not reached in it are not tried. Null: no limit but the run's. */
  budgetMs: number | null;
}

type Fail = (field: string, rule: string) => never;
type CheckRefs = (value: unknown, field: string) => void;

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a canary step's fields (the common ones, id, kind, instruction, params, timeoutMs,
 * attempts, are checked by validateStep). `celError` gives a syntax error or null; `checkRefs`
 * refuses a `{{param}}` not in defaultParams.
 */
export function validateCanary(
  s: Record<string, unknown>,
  at: string,
  fail: Fail,
  celError: (expr: string) => string | null,
  checkRefs: CheckRefs,
): CanarySpec {
  const max = s.maxCandidates === undefined ? DEFAULT_MAX_CANDIDATES : s.maxCandidates;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_CANDIDATES)
    fail(`${at}.maxCandidates`, `must be an integer in [1, ${MAX_CANDIDATES}]`);
  const candidates = expandCandidates(s.candidates, `${at}.candidates`, fail);
  if (candidates.length > (max as number)) {
    fail(`${at}.candidates`, `expands to ${candidates.length} candidates, more than maxCandidates (${max as number})`);
  }
  const seen = new Map<string, number>();
  candidates.forEach((c, i) => {
    const key = JSON.stringify(c);
    if (seen.has(key)) fail(`${at}.candidates`, `candidate ${i} repeats candidate ${seen.get(key)}`);
    seen.set(key, i);
    for (const [k, v] of Object.entries(c)) checkRefs(v, `${at}.candidates[${i}].${k}`);
  });

  const action = (field: 'apply' | 'promote' | 'restore') => {
    const v = s[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      fail(`${at}.${field}`, 'must be an object of parameters for the actuator, e.g. {"action": "canary_apply"}');
    const o = v as Record<string, unknown>;
    if (typeof o.action !== 'string' || o.action.trim() === '')
      fail(`${at}.${field}.action`, 'must name the actuator action');
    for (const [k, x] of Object.entries(o)) checkRefs(x, `${at}.${field}.${k}`);
    return { ...o };
  };
  const cel = (field: 'check' | 'score') => {
    const v = s[field];
    if (typeof v !== 'string' || v.trim() === '')
      fail(`${at}.${field}`, 'must be a CEL expression over response and candidate');
    const error = celError(v as string);
    if (error) fail(`${at}.${field}`, `is not valid CEL: ${error}`);
    return v as string;
  };
  const ms = (field: string, dflt: number | null): number | null => {
    const v = s[field];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_MS)
      fail(`${at}.${field}`, `must be an integer in [1, ${MAX_MS}]`);
    return v as number;
  };
  const onNoCandidate = s.onNoCandidate ?? 'fail';
  if (!(ON_NO_CANDIDATE as readonly unknown[]).includes(onNoCandidate))
    fail(`${at}.onNoCandidate`, `must be one of ${ON_NO_CANDIDATE.join(', ')}`);

  return {
    candidates,
    paramOrder: [...new Set(candidates.flatMap((c) => Object.keys(c)))],
    apply: action('apply'),
    check: cel('check'),
    score: cel('score'),
    promote: action('promote'),
    restore: action('restore'),
    restoreWithinMs: ms('restoreWithinMs', DEFAULT_RESTORE_WITHIN_MS)!,
    onNoCandidate: onNoCandidate as OnNoCandidate,
    budgetMs: ms('budgetMs', null),
  };
}

/** The fields only a canary step has: any other kind carrying one is refused. */
export const CANARY_FIELDS = [
  'candidates',
  'maxCandidates',
  'apply',
  'check',
  'score',
  'promote',
  'restore',
  'restoreWithinMs',
  'onNoCandidate',
  'budgetMs',
] as const;

/**
 * `[{...}, {...}]` as it is; `{param, values: [...]}` one candidate per value;
 * `{param, range: {from, to, step}}` one per value from `from` to `to` inclusive.
 */
export function expandCandidates(raw: unknown, at: string, fail: Fail): Array<Record<string, unknown>> {
  if (Array.isArray(raw)) {
    if (raw.length === 0) fail(at, 'must list at least one candidate');
    return raw.map((c, i) => {
      if (typeof c !== 'object' || c === null || Array.isArray(c) || Object.keys(c).length === 0)
        fail(`${at}[${i}]`, 'must be a non-empty object of parameters');
      for (const k of Object.keys(c as object))
        if (!PARAM_NAME.test(k))
          fail(`${at}[${i}]`, `has a parameter name that is not an identifier: ${JSON.stringify(k)}`);
      return { ...(c as Record<string, unknown>) };
    });
  }
  if (typeof raw !== 'object' || raw === null)
    fail(at, 'must be a list of parameter sets, or {param, values} or {param, range: {from, to, step}}');
  const g = raw as Record<string, unknown>;
  if (typeof g.param !== 'string' || !PARAM_NAME.test(g.param)) fail(`${at}.param`, 'must be a parameter name');
  const param = g.param as string;
  if (g.values !== undefined && g.range !== undefined) fail(at, 'takes values or range, not both');
  if (g.values !== undefined) {
    if (!Array.isArray(g.values) || g.values.length === 0) fail(`${at}.values`, 'must be a non-empty array');
    return (g.values as unknown[]).map((v) => ({ [param]: v }));
  }
  const r = g.range;
  if (typeof r !== 'object' || r === null) fail(at, 'needs values (an array) or range ({from, to, step})');
  const { from, to, step } = r as Record<string, unknown>;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!finite(from) || !finite(to) || !finite(step) || step <= 0 || to < from)
    fail(`${at}.range`, 'must be {from, to, step} numbers with from ≤ to and step > 0');
  const count = Math.floor(((to as number) - (from as number)) / (step as number) + 1e-9) + 1;
  if (count > MAX_CANDIDATES) fail(`${at}.range`, `gives ${count} candidates, more than ${MAX_CANDIDATES}`);
  return Array.from({ length: count }, (_, i) => ({
    [param]: rangeValue(from as number, step as number, i),
  }));
}

/**
 * The i-th value of a range, rounded to the decimals its `from` and `step` are written with: 0.1
 * steps give 0.3, not 0.30000000000000004, and -0.3 + 3 × 0.1 is 0, not 5.55e-17 (a relative
 * rounding such as 12 significant digits keeps that drift, since near 0 it is all there is). Then
 * 12 significant digits, as before, for a step such as 1/3 that no decimals write; never -0.
 */
function rangeValue(from: number, step: number, i: number): number {
  const raw = from + i * step;
  const places = Math.max(decimalsOf(from), decimalsOf(step));
  // toFixed takes at most 100 decimals; a range finer than that is left to the significant digits.
  const fixed = places <= 100 ? Number(raw.toFixed(places)) : raw;
  const value = Number(fixed.toPrecision(12));
  return value === 0 ? 0 : value;
}

/** The decimals a number is written with: 0.25 → 2, 1e-7 → 7, 1.5e-7 → 8, 300 → 0. */
function decimalsOf(x: number): number {
  const [mantissa = '', exponent = '0'] = String(x).toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}
