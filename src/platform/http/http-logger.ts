import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/config.js';

/** The request logger's options: JSON lines with a request id; keys and session cookies redacted. */
export function httpLoggerOptions(level: AppConfig['logLevel']): Options {
  return {
    level,
    // A caller's X-Request-Id is kept (for tracing across services), else one is made.
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Bodies are never logged (pino-http's default), so POST /auth/session's key is not either.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/health') ?? false },
  };
}
