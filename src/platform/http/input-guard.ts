import type { NextFunction, Request, Response } from 'express';
import { invalidFields, type FieldError } from './validation.js';

/** Deepest JSON nesting a body may have: every DTO here is a few levels deep; `context` gets the rest. */
export const MAX_BODY_DEPTH = 16;
/** Most entries one array or object of a body may have. */
export const MAX_BODY_ENTRIES = 1000;
/** Keys that would reach an object's prototype (or be dropped silently by class-transformer). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// NUL (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its partner (not valid UTF-8).
// eslint-disable-next-line no-control-regex -- NUL is the character this looks for
const BAD_CHARS = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface InputProblem {
  field: string;
  error: string;
}

function stringProblem(s: string): string | null {
  if (!BAD_CHARS.test(s)) return null;
  return s.includes('\u0000') ? 'must not contain a NUL character' : 'must not contain a lone UTF-16 surrogate';
}

const join = (parent: string, key: string | number) => (parent ? `${parent}.${key}` : String(key));

/**
 * The first problem of a parsed JSON value (or a query object), found without recursion so no
 * nesting can overflow the stack: too deep, too many entries, a forbidden key, a string with a
 * NUL or a lone surrogate, or a number too large to be one. Runs before class-transformer, which recurses.
 */
export function inputProblem(value: unknown, root = ''): InputProblem | null {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const p = stringProblem(v);
      if (p) return { field: path || 'body', error: p };
      continue;
    }
    // JSON.parse reads 1e400 as Infinity, which JSON cannot hold: stored, it would become null unsaid.
    if (typeof v === 'number' && !Number.isFinite(v))
      return { field: path || 'body', error: 'must be a finite number (it is too large for JSON)' };
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_BODY_DEPTH)
      return { field: path || 'body', error: `is nested deeper than ${MAX_BODY_DEPTH} levels` };
    if (Array.isArray(v)) {
      if (v.length > MAX_BODY_ENTRIES)
        return { field: path || 'body', error: `has more than ${MAX_BODY_ENTRIES} items` };
      v.forEach((x, i) => stack.push({ v: x, path: join(path, i), depth: depth + 1 }));
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > MAX_BODY_ENTRIES)
      return { field: path || 'body', error: `has more than ${MAX_BODY_ENTRIES} keys` };
    for (const key of keys) {
      const field = join(path, key);
      if (FORBIDDEN_KEYS.has(key)) return { field, error: `the key "${key}" is not allowed` };
      const p = stringProblem(key);
      if (p) return { field: join(path, JSON.stringify(key)), error: `key ${p}` };
      stack.push({ v: (v as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return null;
}

function decodedPath(url: string): string | null {
  try {
    return decodeURIComponent(url.split('?')[0]);
  } catch {
    return null;
  }
}

/**
 * Routes whose body holds an array of items each refused on its own by their handler, which
 * runs inputProblem on each (`POST /intake/alertmanager`'s alerts: one alert with a label named
 * `constructor`, or a NUL, must not keep its group out). The guard checks the rest of the body
 * and the array's length.
 */
const ITEMS_CHECKED_BY_HANDLER: Array<{ method: string; path: RegExp; items: string }> = [
  { method: 'POST', path: /^\/intake\/alertmanager\/?$/i, items: 'alerts' },
];

function bodyToCheck(req: Request, path: string): unknown {
  const body: unknown = req.body;
  const route = ITEMS_CHECKED_BY_HANDLER.find((r) => r.method === req.method && r.path.test(path));
  if (!route || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const items = (body as Record<string, unknown>)[route.items];
  return Array.isArray(items) ? { ...body, [route.items]: items.map(() => null) } : body;
}

/** The first problem of a request's body, query, path or headers. */
export function requestProblem(req: Request): InputProblem | null {
  const path = decodedPath(req.originalUrl ?? req.url);
  if (path === null) return { field: 'path', error: 'is not valid percent-encoding' };
  const pathProblem = stringProblem(path);
  if (pathProblem) return { field: 'path', error: pathProblem };
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value ?? '']) {
      const p = stringProblem(v);
      if (p) return { field: `header ${name}`, error: p };
    }
  }
  let query: unknown;
  try {
    query = req.query;
  } catch {
    return { field: 'query', error: 'is not a valid query string' };
  }
  return inputProblem(query, 'query') ?? (req.body === undefined ? null : inputProblem(bodyToCheck(req, path)));
}

/** A problem as a 400 names its field. */
export function fieldErrorOf(problem: InputProblem): FieldError {
  return { field: problem.field, errors: [`${problem.field} ${problem.error}`] };
}

/** Express middleware (after the JSON parser, before Nest): 400 naming the field, in the API's error shape. */
export function inputGuard(req: Request & { id?: string }, res: Response, next: NextFunction): void {
  const problem = requestProblem(req);
  if (!problem) return next();
  const body = invalidFields([fieldErrorOf(problem)]).getResponse() as object;
  res.status(400).json({ ...body, requestId: req.id });
}
