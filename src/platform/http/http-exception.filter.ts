import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

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
    let body: Record<string, unknown> = { statusCode: status, error: 'Internal Server Error', message: 'internal error' };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const res = exception.getResponse();
      body = typeof res === 'string' ? { statusCode: status, error: exception.name, message: res } : { statusCode: status, ...(res as object) };
    } else {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    response.status(status).json({ ...body, requestId: request.id });
  }
}

/** Body-parser errors happen before Nest routing; give them the same JSON shape. */
export function bodyParserErrorHandler(
  err: { type?: string; status?: number; message?: string },
  req: Request & { id?: string },
  res: Response,
  next: (err?: unknown) => void,
): void {
  if (err?.type === 'entity.too.large') {
    res.status(413).json({ statusCode: 413, error: 'Payload Too Large', message: 'request body is over 256 KiB', requestId: req.id });
  } else if (err?.type === 'entity.parse.failed') {
    res.status(400).json({ statusCode: 400, error: 'Bad Request', message: `malformed JSON body: ${err.message}`, requestId: req.id });
  } else if (err?.status && err.status >= 400 && err.status < 500) {
    res.status(err.status).json({ statusCode: err.status, error: 'Bad Request', message: err.message, requestId: req.id });
  } else {
    next(err);
  }
}
