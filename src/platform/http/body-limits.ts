import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** Most bytes of a JSON body on every route but the intake's. */
export const BODY_LIMIT_BYTES = 256 * 1024;
/**
 * Bytes an intake body may spend per item of a full batch. Alertmanager's alerts are ~0.3 KB
 * (a few labels) to ~1.5 KB (kube-prometheus: a dozen labels, a description, a runbook URL, a
 * graph URL); Alertmanager does not retry a 413, so a full batch must fit with room to spare.
 */
export const INTAKE_BYTES_PER_ITEM = 4 * 1024;

/**
 * Routes that take batches of up to INTAKE_MAX_BATCH items. Matched as Express routes them:
 * the raw path, any case, an optional trailing slash.
 */
const INTAKE_ROUTES = /^\/(?:intake\/alertmanager|signals\/metrics)\/?$/i;

export const isIntakeRoute = (req: Pick<Request, 'method' | 'path'>): boolean =>
  req.method === 'POST' && INTAKE_ROUTES.test(req.path);

/** The intake routes' limit: a full batch at INTAKE_BYTES_PER_ITEM each, never below every route's. */
export const intakeBodyLimit = (intakeMaxBatch: number): number =>
  Math.max(BODY_LIMIT_BYTES, intakeMaxBatch * INTAKE_BYTES_PER_ITEM);

/** `limit` bytes as a 413 names it: whole MiB, else KiB rounded up. */
export function formatBodyLimit(limit: number): string {
  if (limit % (1024 * 1024) === 0) return `${limit / (1024 * 1024)} MiB`;
  return `${Math.ceil(limit / 1024)} KiB`;
}

/**
 * The JSON body parser: BODY_LIMIT_BYTES, or intakeBodyLimit on the intake routes. The parser's
 * 413 carries the limit it applied (`limit`), which bodyParserErrorHandler names.
 */
export function jsonBodyParser(intakeMaxBatch: number): RequestHandler {
  const everyRoute = express.json({ limit: BODY_LIMIT_BYTES });
  const intake = express.json({ limit: intakeBodyLimit(intakeMaxBatch) });
  return (req: Request, res: Response, next: NextFunction) =>
    (isIntakeRoute(req) ? intake : everyRoute)(req, res, next);
}
