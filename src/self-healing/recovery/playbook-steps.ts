import { parse } from '@bufbuild/cel';
import { CANARY_FIELDS, validateCanary, type CanarySpec } from './canary-step.js';

/**
 * Executable playbook steps (DESIGN §8). A playbook has `steps`, then `verify` checks, and
 * `rollback` steps run when a step, check or verification fails. Each kind is run by one
 * executor at run time (src/self-healing/runs/engine/); `escalate` hands the work to a coding agent;
 * `canary` tries candidate parameters on an isolated canary and promotes the best (canary-step.ts).
 */
export const STEP_KINDS = ['webhook', 'manual', 'wait', 'check', 'escalate', 'canary'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Kinds that call an actuator; without a configured actuator they become manual steps. */
export const ACTUATOR_STEP_KINDS: readonly StepKind[] = ['webhook', 'check', 'canary'];

/** Shipped playbooks call the tenant's actuator of this name unless a step names another. */
export const DEFAULT_ACTUATOR = 'ops';

/** Actuator names: what `PUT /actuators/:name` accepts and what a step may reference. */
export const ACTUATOR_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** Default per-step timeout (DESIGN §8: 30 s); a step may set its own. */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
/** Default for steps that wait on people or a coding agent (manual, escalate, and a webhook run as manual). */
export const HUMAN_STEP_TIMEOUT_MS = 24 * 3600_000;
export const DEFAULT_STEP_ATTEMPTS = 3;
const MAX_STEP_TIMEOUT_MS = 24 * 3600_000;
const MAX_STEP_ATTEMPTS = 20;

export interface PlaybookStep {
  /** Unique within the playbook (across steps, verify and rollback). */
  id: string;
  kind: StepKind;
  /** What a person does; also the text of the manual step a webhook or check becomes without an actuator. */
  instruction: string;
  /** webhook/check: the tenant's actuator to call. */
  actuator?: string;
  /** Sent to the actuator. A value `"{{name}}"` takes the recovery's parameter `name`. */
  params: Record<string, unknown>;
  /** wait: how long, a number or `"{{name}}"`. */
  durationMs?: number | string;
  /** check: CEL over `response.status` and `response.body`; true passes. */
  condition?: string;
  /**
   * Optional CEL over `steps` (each earlier step by id: `{status, output}`): the step runs only
   * when true, else it is skipped. How a hybrid playbook branches on a check's answer.
   */
  when?: string;
  timeoutMs: number;
  /** webhook/check: calls tried for retryable answers (408, 429, 5xx, network); canary: for its promote and restore calls. */
  attempts: number;
  /** canary: its candidates, check, score, promote and restore. `timeoutMs` is the time each candidate has. */
  canary?: CanarySpec;
}

export type StepList = 'steps' | 'verify' | 'rollback';

const PARAM_REF = /^\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$/;

/** Every field a step may have, a canary's included. */
const STEP_FIELDS = [
  'id',
  'kind',
  'instruction',
  'actuator',
  'params',
  'durationMs',
  'condition',
  'when',
  'timeoutMs',
  'attempts',
  ...CANARY_FIELDS,
] as const;

/**
 * Refuses a field of `o` not among `fields`: a misspelt one (`timeout`, `onfailure`) would
 * otherwise be dropped, and the step or playbook run on a default its author did not write.
 */
export function onlyFields(
  o: Record<string, unknown>,
  fields: readonly string[],
  at: string,
  what: string,
  fail: (field: string, rule: string) => never,
): void {
  const unknown = Object.keys(o).find((k) => !fields.includes(k));
  if (unknown !== undefined)
    fail(at ? `${at}.${unknown}` : unknown, `is not a field of ${what} (its fields: ${fields.join(', ')})`);
}

/**
 * Validates one list of a playbook. `fail(field, rule)` throws with the playbook named;
 * `paramNames` are the playbook's default parameters, the only ones a step may reference.
 */
export function validateStepList(
  raw: unknown,
  list: StepList,
  paramNames: ReadonlySet<string>,
  seenIds: Set<string>,
  fail: (field: string, rule: string) => never,
): PlaybookStep[] {
  if (raw === undefined && list !== 'steps') return [];
  if (!Array.isArray(raw) || (list === 'steps' && raw.length === 0)) {
    fail(list, list === 'steps' ? 'must be a non-empty array of steps' : 'must be an array of steps');
  }
  return (raw as unknown[]).map((s, i) => validateStep(s, `${list}[${i}]`, paramNames, seenIds, fail));
}

function validateStep(
  raw: unknown,
  at: string,
  paramNames: ReadonlySet<string>,
  seenIds: Set<string>,
  fail: (field: string, rule: string) => never,
): PlaybookStep {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(at, 'must be an object with id, kind and instruction');
  const s = raw as Record<string, unknown>;
  onlyFields(s, STEP_FIELDS, at, 'a step', fail);
  if (typeof s.id !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(s.id)) fail(`${at}.id`, 'must be a snake_case string');
  const id = s.id as string;
  if (seenIds.has(id)) fail(`${at}.id`, `"${id}" is used twice in this playbook`);
  seenIds.add(id);
  if (!(STEP_KINDS as readonly unknown[]).includes(s.kind)) {
    fail(`${at}.kind`, `must be one of ${STEP_KINDS.join(', ')} (got ${JSON.stringify(s.kind)})`);
  }
  const kind = s.kind as StepKind;
  if (typeof s.instruction !== 'string' || s.instruction.trim() === '')
    fail(`${at}.instruction`, 'must be a non-empty string');

  const params = s.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) fail(`${at}.params`, 'must be an object');
  for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
    checkRef(value, `${at}.params.${key}`, paramNames, fail);
  }

  const step: PlaybookStep = {
    id,
    kind,
    instruction: s.instruction as string,
    params: { ...(params as Record<string, unknown>) },
    timeoutMs: boundedInt(
      s.timeoutMs,
      `${at}.timeoutMs`,
      1,
      MAX_STEP_TIMEOUT_MS,
      kind === 'manual' || kind === 'escalate' ? HUMAN_STEP_TIMEOUT_MS : DEFAULT_STEP_TIMEOUT_MS,
      fail,
    ),
    attempts: boundedInt(s.attempts, `${at}.attempts`, 1, MAX_STEP_ATTEMPTS, DEFAULT_STEP_ATTEMPTS, fail),
  };

  if ((ACTUATOR_STEP_KINDS as readonly string[]).includes(kind)) {
    const actuator = s.actuator ?? DEFAULT_ACTUATOR;
    if (typeof actuator !== 'string' || !ACTUATOR_NAME_PATTERN.test(actuator)) {
      fail(
        `${at}.actuator`,
        `must be an actuator name matching ${ACTUATOR_NAME_PATTERN} (got ${JSON.stringify(actuator)})`,
      );
    }
    step.actuator = actuator as string;
  } else if (s.actuator !== undefined) {
    fail(`${at}.actuator`, `is only for webhook, check and canary steps, not ${kind}`);
  }

  if (kind === 'wait') {
    const d = s.durationMs;
    if (typeof d === 'string') checkRef(d, `${at}.durationMs`, paramNames, fail, true);
    else if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_STEP_TIMEOUT_MS) {
      fail(`${at}.durationMs`, `must be an integer in [0, ${MAX_STEP_TIMEOUT_MS}] or "{{param}}"`);
    }
    step.durationMs = d as number | string;
  } else if (s.durationMs !== undefined) {
    fail(`${at}.durationMs`, `is only for wait steps, not ${kind}`);
  }

  if (kind === 'check') {
    if (typeof s.condition !== 'string' || s.condition.trim() === '')
      fail(`${at}.condition`, 'must be a CEL expression');
    const error = celSyntaxError(s.condition as string);
    if (error) fail(`${at}.condition`, `is not valid CEL: ${error}`);
    step.condition = s.condition as string;
  } else if (s.condition !== undefined) {
    fail(`${at}.condition`, `is only for check steps, not ${kind}`);
  }

  if (kind === 'canary') {
    step.canary = validateCanary(s, at, fail, celSyntaxError, (value, field) =>
      checkRef(value, field, paramNames, fail),
    );
  } else {
    const stray = CANARY_FIELDS.find((f) => s[f] !== undefined);
    if (stray) fail(`${at}.${stray}`, `is only for canary steps, not ${kind}`);
  }

  if (s.when !== undefined) {
    if (typeof s.when !== 'string' || s.when.trim() === '') fail(`${at}.when`, 'must be a CEL expression over steps');
    const error = celSyntaxError(s.when as string);
    if (error) fail(`${at}.when`, `is not valid CEL: ${error}`);
    step.when = s.when as string;
  }
  return step;
}

function checkRef(
  value: unknown,
  field: string,
  names: ReadonlySet<string>,
  fail: (f: string, r: string) => never,
  required = false,
): void {
  if (typeof value !== 'string') return;
  const m = PARAM_REF.exec(value);
  if (!m) {
    if (required) fail(field, 'must be a number or "{{param}}"');
    return;
  }
  if (!names.has(m[1]!)) fail(field, `references unknown parameter "${m[1]}" (not in defaultParams)`);
}

function boundedInt(
  v: unknown,
  field: string,
  min: number,
  max: number,
  dflt: number,
  fail: (f: string, r: string) => never,
): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(field, `must be an integer in [${min}, ${max}]`);
  return v as number;
}

/** Syntax check at load time; unknown identifiers surface when the check runs. */
function celSyntaxError(expr: string): string | null {
  try {
    parse(expr);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
}

/** Fills `"{{name}}"` values from the recovery's parameters (template or suggestion). */
export function resolveStepParams(
  step: Pick<PlaybookStep, 'params'>,
  params: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(step.params)) out[key] = resolveValue(value, params);
  return out;
}

/** A wait step's duration with its parameter filled; a non-numeric parameter counts as 0. */
export function resolveWaitMs(step: Pick<PlaybookStep, 'durationMs'>, params: Record<string, unknown>): number {
  const v = resolveValue(step.durationMs ?? 0, params);
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n > 0 ? Math.round(Math.min(n, MAX_STEP_TIMEOUT_MS)) : 0;
}

/** A canary step's candidates and actions with their `{{param}}` values filled. */
export function resolveCanary(spec: CanarySpec, params: Record<string, unknown>): CanarySpec {
  const fill = (o: Record<string, unknown>) => resolveStepParams({ params: o }, params);
  return {
    ...spec,
    candidates: spec.candidates.map(fill),
    apply: fill(spec.apply),
    promote: fill(spec.promote),
    restore: fill(spec.restore),
  };
}

function resolveValue(value: unknown, params: Record<string, unknown>): unknown {
  if (typeof value !== 'string') return value;
  const m = PARAM_REF.exec(value);
  return m ? (params[m[1]!] ?? null) : value;
}
