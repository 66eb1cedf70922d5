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

/** What a policy condition sees. Only `request` is bound. */
export interface EvaluationContext {
  request: {
    agentId?: string;
    capability?: string;
    tenantId?: string;
    context?: Record<string, unknown>;
  };
}

export type ConditionValidation = { ok: true } | { ok: false; error: string };
export type CompiledCondition =
  { ok: true; program: CelProgram; guards: ConditionGuards } | { ok: false; error: string };

/** Request fields a guard can test. The engine always binds them as a string or null. */
export const GUARD_FIELDS = ['agentId', 'capability', 'tenantId'] as const;
export type GuardField = (typeof GUARD_FIELDS)[number];
/**
 * Necessary conditions read off a condition's top-level `&&` chain: `request.F == "x"`,
 * `"x" == request.F` or `request.F in ["x", "y"]` (string literals only). When a request's
 * field (a string or null) is not in the set, that conjunct is false — not an error — so
 * the whole condition is false and the program need not run. Lets the engine index policies
 * by agent and skip most of them without evaluating CEL.
 */
export type ConditionGuards = Partial<Record<GuardField, ReadonlySet<string>>>;
export type CelProgram = ReturnType<typeof plan>;
type Expr = ReturnType<typeof parse>['expr'];

/** Longest condition we accept; conditions are written by the policy generator or admins, never megabytes. */
export const MAX_CONDITION_LENGTH = 4096;

/*
 * Cost bounds. @bufbuild/cel 0.6 has no cost limit and evaluation is synchronous, so one slow
 * condition would block the event loop for every tenant. A condition is therefore refused at
 * creation unless its worst-case cost (estimated from the AST, with every list or map it did not
 * write itself assumed to hold MAX_CONTEXT_ITEMS entries, which the bindings enforce) is within
 * MAX_CONDITION_COST; and at evaluation a condition that still runs over CEL_EVAL_BUDGET_MS
 * CEL_EVAL_STRIKES times in a row is skipped for CEL_EVAL_SKIP_MS, with the reason recorded as its
 * evaluation error, and then evaluated once more: within budget it is back, over it is skipped
 * again. An evaluation that finished keeps its result, however long it took: a GC pause or a busy
 * host must not turn one deny into an allow, nor a bad minute skip a policy for good.
 */
/** Deepest expression nesting a condition may have. */
export const MAX_CONDITION_NESTING = 32;
/** Macros (all, exists, exists_one, map, filter) nested inside each other. */
export const MAX_COMPREHENSION_DEPTH = 2;
/**
 * Entries a list or map in `request.context` may hold, and levels it may nest: the cost bound of every
 * condition assumes them. A request beyond them is refused (contextProblem), never cut: a cut context
 * could hide the very entry a deny policy looks for.
 */
export const MAX_CONTEXT_ITEMS = 100;
export const MAX_CONTEXT_DEPTH = 32;
/** Estimated steps (AST nodes evaluated, times iterations) a condition may take at worst. */
export const MAX_CONDITION_COST = 20_000;
/** A condition whose evaluations take longer than this CEL_EVAL_STRIKES times in a row is skipped afterwards. */
export const CEL_EVAL_BUDGET_MS = 50;
/** More than one: a GC pause or a cold start must not disable a sound condition. */
export const CEL_EVAL_STRIKES = 3;
/** How long a skipped condition stays skipped before one evaluation decides whether it still is. */
export const CEL_EVAL_SKIP_MS = 60_000;
// Regular expressions run on JavaScript's backtracking engine: charged as this many steps, and
// a group that is quantified and holds a quantifier (or a backreference) is refused outright.
const REGEX_COST = 1000;
const NESTED_QUANTIFIER = /\([^)]*[+*}?][^)]*\)\s*[+*{?]|\\[1-9]/;

// One environment for every condition: a single variable `request`, a map with
// string keys and dynamic values (agentId, capability, tenantId, context).
// Typed as the general CelEnv so programs take plain bindings ({ request: CelInput }).
const env: CelEnv = celEnv({ variables: { request: mapType(CelScalar.STRING, CelScalar.DYN) } });
const VARIABLES = new Set(['request']);
// Operators the planner implements itself instead of looking them up in env.funcs.
const BUILTIN_OPERATORS = new Set([
  '_&&_',
  '_||_',
  '_?_:_',
  '_[_]',
  '_[?_]',
  '_?._',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

/**
 * Parses, checks and plans a condition. @bufbuild/cel reports unknown variables and
 * functions only when evaluating (and its type checker is not public), so we walk the
 * AST ourselves: every free identifier must be `request`, every function must exist.
 * A trial run against an empty request also rejects conditions that are not boolean
 * (e.g. `"yes"` or `request.agentId`); evaluation errors in that run are expected
 * (fields are missing) and ignored.
 */
export function compileCondition(expr: string): CompiledCondition {
  if (typeof expr !== 'string' || expr.trim() === '') return { ok: false, error: 'condition is empty' };
  if (expr.length > MAX_CONDITION_LENGTH) {
    return { ok: false, error: `condition is longer than ${MAX_CONDITION_LENGTH} characters` };
  }
  let ast: ReturnType<typeof parse>;
  try {
    ast = parse(expr);
  } catch (err) {
    return { ok: false, error: syntaxMessage(err) };
  }
  const problem = checkNames(ast.expr, new Set()) ?? costProblem(ast.expr);
  if (problem) return { ok: false, error: problem };

  let program: CelProgram;
  try {
    program = plan(env, ast);
    programText.set(program, expr);
  } catch (err) {
    return { ok: false, error: `invalid condition: ${(err as Error).message}` };
  }
  const trial = program({ request: toCelRequest({ request: {} }) });
  if (!isCelError(trial) && typeof trial !== 'boolean') {
    return { ok: false, error: `condition must evaluate to a bool, got ${describe(trial)}` };
  }
  return { ok: true, program, guards: extractGuards(ast.expr) };
}

/** Is this a condition we would save? Errors are readable ("syntax error at line 1, column 17: …"). */
export function validateCondition(expr: string): ConditionValidation {
  const compiled = compileCondition(expr);
  return compiled.ok ? { ok: true } : { ok: false, error: compiled.error };
}

/** Compiles each distinct condition text once; failures are cached too so a bad rule is not re-parsed per request. */
export class CelProgramCache {
  private readonly entries = new Map<string, CompiledCondition>();
  /** How many times a condition was actually compiled (cache misses). */
  compilations = 0;

  constructor(private readonly maxEntries = 1000) {}

  get(expr: string): CompiledCondition {
    const hit = this.entries.get(expr);
    if (hit) {
      // Re-insert so the Map's order is least-recently-used first.
      this.entries.delete(expr);
      this.entries.set(expr, hit);
      return hit;
    }
    this.compilations++;
    const compiled = compileCondition(expr);
    this.entries.set(expr, compiled);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return compiled;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Evaluates a condition; never throws. Invalid conditions, evaluation errors (e.g. a
 * missing `request.context` key without `has()`) and non-boolean results all give
 * `matched: false` with the error. Missing agentId/capability/tenantId are bound as
 * null, so `request.agentId == "a"` is simply false for a request without an agent.
 */
export function evaluateCondition(
  cache: CelProgramCache,
  expr: string,
  ctx: EvaluationContext,
): { matched: boolean; error?: string } {
  try {
    const compiled = cache.get(expr);
    if (!compiled.ok) return { matched: false, error: compiled.error };
    return runProgram(compiled.program, celBindings(ctx));
  } catch (err) {
    return { matched: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The variables a program runs against, converted once so many programs can share them. */
export type CelBindings = { readonly request: CelInput };

/**
 * Converts an evaluation context into program bindings (see `evaluateCondition` for the
 * rules). Maps and lists are converted to CEL values here, once: given plain objects, the
 * library would convert them again on every variable access of every program.
 */
export function celBindings(ctx: EvaluationContext): CelBindings {
  return { request: precompiled(toCelRequest(ctx)) as CelInput };
}

function precompiled(v: unknown): unknown {
  if (Array.isArray(v)) return celList(v.map(precompiled) as CelInput[]);
  if (isPlainObject(v)) return celMap(new Map(Object.entries(v).map(([k, x]) => [k, precompiled(x)])) as never);
  return v;
}

const OVER_BUDGET = `condition skipped: its evaluations took longer than the ${CEL_EVAL_BUDGET_MS} ms budget`;
/**
 * Conditions whose last evaluations ran over budget, by text (so recompiling does not reset
 * them): how many in a row, and once skipped, when (on performance.now()) to try again.
 */
const overBudget = new Map<string, { strikes: number; retryAt?: number }>();
const programText = new WeakMap<CelProgram, string>();

/** Plans a condition without the name and cost checks: only for conditions stored before the checks existed, and tests. */
export function planUnchecked(expr: string): CelProgram {
  const program = plan(env, parse(expr));
  programText.set(program, expr);
  return program;
}

/**
 * Runs a compiled program; never throws. Evaluation errors and non-boolean results give
 * `matched: false` with the error. The hot path of the policy engine: one call per policy.
 */
export function runProgram(program: CelProgram, bindings: CelBindings): { matched: boolean; error?: string } {
  const text = programText.get(program);
  const slow = text === undefined ? undefined : overBudget.get(text);
  if (slow?.retryAt !== undefined && performance.now() < slow.retryAt) return { matched: false, error: OVER_BUDGET };
  try {
    const started = performance.now();
    const result = program(bindings);
    if (text !== undefined) countStrike(text, performance.now() - started > CEL_EVAL_BUDGET_MS);
    if (isCelError(result)) return { matched: false, error: result.message };
    if (typeof result !== 'boolean')
      return { matched: false, error: `condition returned ${describe(result)}, not a bool` };
    return { matched: result };
  } catch (err) {
    return { matched: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function countStrike(text: string, over: boolean): void {
  if (!over) {
    // Strikes count in a row: noise comes and goes, a slow condition stays slow.
    if (overBudget.size !== 0) overBudget.delete(text);
    return;
  }
  const slow = overBudget.get(text) ?? { strikes: 0 };
  slow.strikes++;
  // Past the strikes, every slow evaluation (the retry included) starts another skip.
  if (slow.strikes >= CEL_EVAL_STRIKES) slow.retryAt = performance.now() + CEL_EVAL_SKIP_MS;
  overBudget.set(text, slow);
  if (overBudget.size > 10_000) overBudget.delete(overBudget.keys().next().value!);
}

/** Quotes a string as a CEL string literal that evaluates back to exactly `s` (lone surrogates, which CEL cannot hold, become U+FFFD). */
export function celString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    // CEL strings cannot hold lone surrogates; encode them as UTF-8 would, as U+FFFD.
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd';
    else out += ch; // everything else is safe as raw UTF-8
  }
  return out + '"';
}

// Only the documented fields are bound, defaults filled in, and context converted
// to plain values CEL accepts (Dates → ISO strings, undefined dropped).
function toCelRequest(ctx: EvaluationContext): CelInput {
  const r = ctx?.request ?? {};
  const request: Record<string, unknown> = {
    agentId: r.agentId ?? null,
    capability: r.capability ?? null,
    tenantId: r.tenantId ?? null,
    context: isPlainObject(r.context) ? toCelValue(r.context) : {},
  };
  // Plain objects, arrays and scalars are valid CEL input (maps, lists, values).
  return request as CelInput;
}

/** Why `context` cannot be evaluated as it is (a list or map too long, or too deep), or null. */
export function contextProblem(v: unknown, path = 'context', depth = 0): string | null {
  if (v === null || typeof v !== 'object' || v instanceof Date) return null;
  if (depth >= MAX_CONTEXT_DEPTH) return `${path} nests deeper than ${MAX_CONTEXT_DEPTH} levels`;
  const entries: Array<[string, unknown]> = Array.isArray(v)
    ? v.map((x, i) => [`${path}[${i}]`, x])
    : Object.entries(v).map(([k, x]) => [`${path}.${k}`, x]);
  if (entries.length > MAX_CONTEXT_ITEMS)
    return `${path} holds ${entries.length} entries; at most ${MAX_CONTEXT_ITEMS}`;
  for (const [at, x] of entries) {
    const problem = contextProblem(x, at, depth + 1);
    if (problem) return problem;
  }
  return null;
}

// Requests are refused beyond the bounds (IsPolicyContext); the cut below only keeps an internal caller's
// context within what the cost bound assumes.
function toCelValue(v: unknown, depth = 0): unknown {
  if (depth > MAX_CONTEXT_DEPTH) return null; // cyclic or absurdly deep context
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    case 'number':
      return v;
    case 'object':
      if (v instanceof Date) return v.toISOString();
      // Cut at MAX_CONTEXT_ITEMS: the cost bound of every condition assumes it.
      if (Array.isArray(v)) return v.slice(0, MAX_CONTEXT_ITEMS).map((x) => toCelValue(x, depth + 1));
      if (isPlainObject(v)) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v).slice(0, MAX_CONTEXT_ITEMS))
          if (x !== undefined) out[k] = toCelValue(x, depth + 1);
        return out;
      }
      return String(v);
    default:
      return null; // functions, symbols
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function extractGuards(root: Expr | undefined): ConditionGuards {
  const guards: Partial<Record<GuardField, Set<string>>> = {};
  const conjuncts: Expr[] = [];
  const flatten = (e: Expr | undefined) => {
    if (!e) return;
    if (e.exprKind.case === 'callExpr' && e.exprKind.value.function === '_&&_' && !e.exprKind.value.target) {
      for (const a of e.exprKind.value.args) flatten(a);
    } else conjuncts.push(e);
  };
  flatten(root);
  for (const c of conjuncts) {
    const guard = guardOf(c);
    if (!guard) continue;
    const current = guards[guard.field];
    guards[guard.field] = current
      ? new Set([...current].filter((v) => guard.values.includes(v)))
      : new Set(guard.values);
  }
  return guards;
}

function guardOf(e: Expr): { field: GuardField; values: string[] } | null {
  if (e.exprKind.case !== 'callExpr' || e.exprKind.value.target) return null;
  const { function: fn, args } = e.exprKind.value;
  if (args.length !== 2) return null;
  if (fn === '_==_') {
    const [a, b] = args;
    const field = requestField(a) ?? requestField(b);
    const value = stringConstant(a) ?? stringConstant(b);
    return field && value !== null ? { field, values: [value] } : null;
  }
  if (fn === '@in') {
    const field = requestField(args[0]);
    const list = args[1]?.exprKind;
    if (!field || list?.case !== 'listExpr' || list.value.optionalIndices.length > 0) return null;
    const values = list.value.elements.map(stringConstant);
    return values.every((v): v is string => v !== null) ? { field, values } : null;
  }
  return null;
}

function requestField(e: Expr | undefined): GuardField | null {
  if (e?.exprKind.case !== 'selectExpr' || e.exprKind.value.testOnly) return null;
  const operand = e.exprKind.value.operand?.exprKind;
  if (operand?.case !== 'identExpr' || operand.value.name !== 'request') return null;
  const field = e.exprKind.value.field;
  return (GUARD_FIELDS as readonly string[]).includes(field) ? (field as GuardField) : null;
}

function stringConstant(e: Expr | undefined): string | null {
  const k = e?.exprKind;
  return k?.case === 'constExpr' && k.value.constantKind.case === 'stringValue' ? k.value.constantKind.value : null;
}

/** Worst-case cost and size (entries, for a list or map) of an expression. */
interface Estimate {
  cost: number;
  size: number;
}

/** Why a condition is too costly to run (see the cost bounds above), or null. */
function costProblem(root: Expr | undefined): string | null {
  let problem: string | null = null;
  const visit = (e: Expr | undefined, nesting: number, comprehensions: number): Estimate => {
    if (!e || problem) return { cost: 0, size: 0 };
    if (nesting > MAX_CONDITION_NESTING) {
      problem = `condition is nested deeper than ${MAX_CONDITION_NESTING} levels`;
      return { cost: 0, size: 0 };
    }
    const sub = (x: Expr | undefined) => visit(x, nesting + 1, comprehensions);
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr':
        return { cost: 1, size: 1 };
      case 'identExpr':
        return { cost: 1, size: MAX_CONTEXT_ITEMS };
      case 'selectExpr':
        return { cost: sub(k.value.operand).cost + 1, size: MAX_CONTEXT_ITEMS };
      case 'callExpr': {
        const parts = [k.value.target, ...k.value.args].filter(Boolean).map(sub);
        if (k.value.function === 'matches') {
          const pattern = stringConstant(k.value.args[k.value.args.length - 1]);
          if (pattern === null || NESTED_QUANTIFIER.test(pattern)) {
            problem =
              'matches() takes a string literal without nested quantifiers such as (a+)+ (they can backtrack for seconds)';
            return { cost: 0, size: 0 };
          }
        }
        const cost = parts.reduce((n, p) => n + p.cost, 1) + (k.value.function === 'matches' ? REGEX_COST : 0);
        // Concatenation adds sizes; indexing may give any value of the context; the rest give scalars.
        const size =
          k.value.function === '_+_'
            ? parts.reduce((n, p) => n + p.size, 0)
            : k.value.function === '_[_]'
              ? MAX_CONTEXT_ITEMS
              : 1;
        return { cost, size };
      }
      case 'listExpr': {
        const parts = k.value.elements.map(sub);
        return { cost: parts.reduce((n, p) => n + p.cost, 1), size: parts.length };
      }
      case 'structExpr': {
        const parts = k.value.entries
          .flatMap((en) => [en.keyKind.case === 'mapKey' ? en.keyKind.value : undefined, en.value])
          .map(sub);
        return { cost: parts.reduce((n, p) => n + p.cost, 1), size: k.value.entries.length };
      }
      case 'comprehensionExpr': {
        const c = k.value;
        if (comprehensions + 1 > MAX_COMPREHENSION_DEPTH) {
          problem = `condition nests more than ${MAX_COMPREHENSION_DEPTH} macros (all, exists, map, filter) inside each other`;
          return { cost: 0, size: 0 };
        }
        const range = sub(c.iterRange);
        const inner = (x: Expr | undefined) => visit(x, nesting + 1, comprehensions + 1);
        const step = inner(c.loopCondition).cost + inner(c.loopStep).cost;
        return { cost: range.cost + sub(c.accuInit).cost + range.size * step + inner(c.result).cost, size: range.size };
      }
      default:
        return { cost: 1, size: 1 };
    }
  };
  const { cost } = visit(root, 0, 0);
  if (problem) return problem;
  return cost > MAX_CONDITION_COST
    ? `condition is too costly: it may take ${cost} steps, more than the ${MAX_CONDITION_COST} allowed (lists from request.context count as ${MAX_CONTEXT_ITEMS} items)`
    : null;
}

// Returns a message for the first unknown identifier or function, else null.
function checkNames(e: Expr | undefined, locals: Set<string>): string | null {
  if (!e) return null;
  const k = e.exprKind;
  switch (k.case) {
    case 'identExpr':
      return VARIABLES.has(k.value.name) || locals.has(k.value.name)
        ? null
        : `unknown variable "${k.value.name}" (only "request" is available)`;
    case 'selectExpr':
      return checkNames(k.value.operand, locals);
    case 'callExpr': {
      const fn = k.value.function;
      if (!BUILTIN_OPERATORS.has(fn) && !env.funcs.find(fn)) return `unknown function "${fn}"`;
      for (const a of [k.value.target, ...k.value.args]) {
        const p = checkNames(a, locals);
        if (p) return p;
      }
      return null;
    }
    case 'listExpr':
      for (const el of k.value.elements) {
        const p = checkNames(el, locals);
        if (p) return p;
      }
      return null;
    case 'structExpr':
      if (k.value.messageName) return `message construction (${k.value.messageName}{…}) is not supported`;
      for (const entry of k.value.entries) {
        const p =
          checkNames(entry.keyKind.case === 'mapKey' ? entry.keyKind.value : undefined, locals) ??
          checkNames(entry.value, locals);
        if (p) return p;
      }
      return null;
    case 'comprehensionExpr': {
      // Macros like exists()/all() bind their iteration and accumulator variables.
      const c = k.value;
      const inner = new Set([...locals, c.iterVar, c.iterVar2, c.accuVar].filter(Boolean));
      return (
        checkNames(c.iterRange, locals) ??
        checkNames(c.accuInit, locals) ??
        checkNames(c.loopCondition, inner) ??
        checkNames(c.loopStep, inner) ??
        checkNames(c.result, inner)
      );
    }
    default:
      return null; // constants
  }
}

// The parser says "<input>:1:17: found = but expecting <long list>"; keep the position
// and what was found, and shorten the list of alternatives.
function syntaxMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /^<input>:(\d+):(\d+):\s*(.*)$/s.exec(msg);
  const body = m ? `syntax error at line ${m[1]}, column ${m[2]}: ${m[3]}` : `syntax error: ${msg}`;
  return body.length > 240 ? `${body.slice(0, 237)}...` : body;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `int ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `double ${v}`;
  return typeof v;
}
