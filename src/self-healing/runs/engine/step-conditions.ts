import {
  CelScalar,
  celEnv,
  celList,
  celMap,
  isCelError,
  mapType,
  parse,
  plan,
  type CelEnv,
  type CelInput,
} from '@bufbuild/cel';

/*
 * The CEL a playbook carries: a check's `condition` over `response` ({status, body}), a step's
 * `when` over `steps` (earlier steps by id: {status, output}), and a canary's `check` and `score`
 * over `response` and `candidate` (the parameters tried). Playbooks are the
 * operator's own configuration, validated at start-up, so no cost bounds as for tenants'
 * policy conditions; values are converted with a depth cap all the same.
 */
const env: CelEnv = celEnv({
  variables: {
    response: mapType(CelScalar.STRING, CelScalar.DYN),
    steps: mapType(CelScalar.STRING, CelScalar.DYN),
    candidate: mapType(CelScalar.STRING, CelScalar.DYN),
  },
});
const programs = new Map<string, ReturnType<typeof plan>>();

interface Bindings {
  response?: unknown;
  steps?: unknown;
  candidate?: unknown;
}

function run(expr: string, bindings: Bindings): { result: unknown } | { error: string } {
  try {
    let program = programs.get(expr);
    if (!program) programs.set(expr, (program = plan(env, parse(expr))));
    const result = program({
      response: toCel(bindings.response ?? {}) as CelInput,
      steps: toCel(bindings.steps ?? {}) as CelInput,
      candidate: toCel(bindings.candidate ?? {}) as CelInput,
    });
    return isCelError(result) ? { error: result.message } : { result };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** True, false, or the reason it could not be decided (a missing field, a non-boolean result). */
export function evaluate(expr: string, bindings: Bindings): { value: boolean } | { error: string } {
  const r = run(expr, bindings);
  if ('error' in r) return r;
  if (typeof r.result !== 'boolean') return { error: `the expression gave ${typeof r.result}, not a bool` };
  return { value: r.result };
}

/** A number (a canary's score), or why there is none. CEL's int and uint come back as bigint. */
export function evaluateNumber(expr: string, bindings: Bindings): { value: number } | { error: string } {
  const r = run(expr, bindings);
  if ('error' in r) return r;
  const n = typeof r.result === 'bigint' ? Number(r.result) : r.result;
  if (typeof n !== 'number' || !Number.isFinite(n))
    return {
      error: `the expression gave ${typeof r.result === 'number' ? String(n) : typeof r.result}, not a finite number`,
    };
  return { value: n };
}

/** A check's response: an integral status is a CEL int, so `response.status == 200` holds. */
export function checkBindings(status: number | null, body: unknown) {
  return { response: { status: status === null ? null : BigInt(status), body } };
}

/** A check's verdict on an answer: null when its condition holds, else why the check failed. */
export function checkFailure(
  condition: string,
  status: number | null,
  body: unknown,
  candidate?: Record<string, unknown>,
): string | null {
  const verdict = evaluate(condition, { ...checkBindings(status, body), candidate });
  if ('value' in verdict) return verdict.value ? null : `check failed: ${condition} is false`;
  return `check failed: ${verdict.error}`;
}

type CelExpr = ReturnType<typeof parse>['expr'];

/** How a `when` uses `steps`: which steps the run has (`keys`), what one answers (`answers`), or the whole map (`other`). */
export interface StepsUse {
  /** `has(steps.x)`, `"x" in steps`, `size(steps)`, a comprehension over the step ids. */
  keys: boolean;
  /** `steps.x…` or `steps["x"]…`: a step's status or output. */
  answers: boolean;
  /** Anything else (`steps == {}`, a comprehension over ids and statuses): read as a whole. */
  other: boolean;
}

/** How the expression uses `steps` (a dry run decides a `when` that reads no step's answer); null when it does not parse. */
export function stepsUse(expr: string): StepsUse | null {
  let root: CelExpr;
  try {
    root = parse(expr).expr;
  } catch {
    return null;
  }
  const use: StepsUse = { keys: false, answers: false, other: false };
  const isSteps = (e: CelExpr | undefined): boolean =>
    e?.exprKind.case === 'identExpr' && e.exprKind.value.name === 'steps';
  const visit = (e: CelExpr | undefined): void => {
    if (!e) return;
    const k = e.exprKind;
    switch (k.case) {
      case 'identExpr':
        if (k.value.name === 'steps') use.other = true;
        return;
      case 'selectExpr':
        if (isSteps(k.value.operand)) {
          if (k.value.testOnly) use.keys = true;
          else use.answers = true;
          return;
        }
        return visit(k.value.operand);
      case 'callExpr': {
        const { function: fn, target, args } = k.value;
        if (fn === '_[_]' && isSteps(args[0])) {
          use.answers = true;
          return visit(args[1]);
        }
        if (fn === '@in' && isSteps(args[1])) {
          use.keys = true;
          return visit(args[0]);
        }
        if (
          fn === 'size' &&
          ((!target && args.length === 1 && isSteps(args[0])) || (isSteps(target) && !args.length))
        ) {
          use.keys = true;
          return;
        }
        visit(target);
        args.forEach(visit);
        return;
      }
      case 'listExpr':
        k.value.elements.forEach(visit);
        return;
      case 'structExpr':
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value);
          visit(entry.value);
        }
        return;
      case 'comprehensionExpr': {
        const c = k.value;
        // Over a map, one variable is its keys: the step ids; a second would be their {status, output}.
        if (isSteps(c.iterRange) && c.iterVar2 === '') use.keys = true;
        else visit(c.iterRange);
        [c.accuInit, c.loopCondition, c.loopStep, c.result].forEach(visit);
        return;
      }
      default:
        return;
    }
  };
  visit(root);
  return use;
}

/** What the engine binds for one step in a `when` (run-advancer.ts's begin: `{status, output}` of its row). */
export interface StepAnswer {
  status: string;
  output: unknown;
}

/**
 * A `when` decided before the run gets to its step, from what is known then: `known`, the steps whose
 * answer will not change before it (by id), among the run's `stepIds` (the engine binds every step of
 * the run, so which steps there are is always known). True or false when that decides it; null when it
 * waits for answers not known yet. One that reads only which steps there are is evaluated against them
 * all; one that reads answers only by id is evaluated with the known ones, a read of any other failing
 * (so it is decided only where the rest decides it: `false && …`); one that reads both, or the map as a
 * whole, is not decided (neither binding is the engine's). The dry run knows no answers; a skip knows
 * those of the steps already finished.
 */
export function decideWhen(
  expr: string,
  known: Readonly<Record<string, StepAnswer>>,
  stepIds: readonly string[],
): boolean | null {
  const use = stepsUse(expr);
  if (use === null || use.other || (use.keys && use.answers)) return null;
  const steps = use.answers
    ? known
    : Object.fromEntries(stepIds.map((id) => [id, known[id] ?? { status: 'pending', output: null }]));
  const verdict = evaluate(expr, { steps });
  return 'value' in verdict ? verdict.value : null;
}

function toCel(v: unknown, depth = 0): unknown {
  if (depth > 32 || v === null || v === undefined) return null;
  if (Array.isArray(v)) return celList(v.map((x) => toCel(x, depth + 1)) as CelInput[]);
  if (typeof v === 'object' && !(v instanceof Date)) {
    return celMap(
      new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toCel(x, depth + 1)])) as never,
    );
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'function' || typeof v === 'symbol') return null;
  return v;
}
