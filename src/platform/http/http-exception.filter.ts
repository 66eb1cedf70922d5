import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BODY_LIMIT_BYTES, formatBodyLimit, INTAKE_BYTES_PER_ITEM, isIntakeRoute } from './body-limits.js';

/** Seconds a client is asked to wait when the database is away (a restart takes a few). */
export const DATABASE_RETRY_AFTER_S = 5;
// SQLSTATE classes and codes that mean "the server is not there", not "the query is wrong":
// 08 connection exception, 57P01-03 shutting down / cannot connect now, 53300 too many connections.
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123]$|53300$)/;
// Socket errors; ENOENT only from connect() (the server's Unix socket is gone), not from a file read.
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|Connection refused/i;

/** Does this error (a pg error, or TypeORM's wrapper of one) say the database cannot be reached? */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  // Duck-typed: socket errors may come from another realm (Node's core), failing instanceof Error.
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const e = err as {
    message?: unknown;
    code?: unknown;
    syscall?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown[];
  };
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code))) return true;
  if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  return [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])].some((x) =>
    isDatabaseUnavailable(x, depth + 1),
  );
}

/** One error shape for every failure: {statusCode, error, message, fields?, requestId}. Never leaks internals on 500. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const response = ctx.getResponse<Response>();
    const request = ctx.getRequest<Request & { id?: string }>();
    if (response.headersSent) return;
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: Record<string, unknown> = {
      statusCode: status,
      error: 'Internal Server Error',
      message: 'internal error',
    };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const res = exception.getResponse();
      body =
        typeof res === 'string'
          ? { statusCode: status, error: exception.name, message: res }
          : { statusCode: status, ...(res as object) };
      const retryAfterS = (exception as { retryAfterS?: unknown }).retryAfterS;
      if (typeof retryAfterS === 'number') response.setHeader('Retry-After', String(retryAfterS));
    } else if (isDatabaseUnavailable(exception)) {
      // The client may retry (with its Idempotency-Key): nothing was committed.
      status = HttpStatus.SERVICE_UNAVAILABLE;
      body = {
        statusCode: status,
        error: 'Service Unavailable',
        message: 'the database is unavailable; retry shortly',
      };
      response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
      this.logger.warn(`database unavailable: ${String((exception as Error).message)}`);
    } else {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    response.status(status).json({ ...body, requestId: request.id });
  }
}

/** Body-parser errors happen before Nest routing; give them the same JSON shape. */
export function bodyParserErrorHandler(
  err: { type?: string; status?: number; message?: string; limit?: number },
  req: Request & { id?: string },
  res: Response,
  next: (err?: unknown) => void,
): void {
  if (err?.type === 'entity.too.large') {
    res.status(413).json({
      statusCode: 413,
      error: 'Payload Too Large',
      // The limit this route's parser applied (the intake routes take more, jsonBodyParser).
      message: `request body is over ${formatBodyLimit(err.limit ?? BODY_LIMIT_BYTES)}${
        isIntakeRoute(req)
          ? `, this route's limit (${formatBodyLimit(INTAKE_BYTES_PER_ITEM)} per item of INTAKE_MAX_BATCH, at least ${formatBodyLimit(BODY_LIMIT_BYTES)}); send smaller batches`
          : ''
      }`,
      requestId: req.id,
    });
  } else if (err?.type === 'entity.parse.failed') {
    res.status(400).json({
      statusCode: 400,
      error: 'Bad Request',
      message: `malformed JSON body: ${err.message}`,
      requestId: req.id,
    });
  } else if (err?.status && err.status >= 400 && err.status < 500) {
    res
      .status(err.status)
      .json({ statusCode: err.status, error: 'Bad Request', message: err.message, requestId: req.id });
  } else {
    next(err);
  }
}
