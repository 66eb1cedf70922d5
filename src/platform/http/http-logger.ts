import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/config.js';
import { decodeQueryPart, rewriteQuery } from './query-pairs.js';

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
    // The API takes no credential in a URL, but a client may put one there (`?apiKey=…`): not into the log.
    serializers: {
      req: (req: { url?: string; query?: Record<string, unknown> }) => {
        if (typeof req.url === 'string') req.url = redactQueryString(req.url);
        if (req.query && typeof req.query === 'object')
          req.query = Object.fromEntries(
            Object.entries(req.query).map(([k, v]) => [k, SECRET_PARAM.test(k) ? REDACTED : v]),
          );
        return req;
      },
    },
    autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/health') ?? false },
  };
}

const REDACTED = '[Redacted]';
/** Query parameters whose values are credentials by their name. */
const SECRET_PARAM = /key|token|secret|passw|auth|session|signature|credential/i;

/** `url` with the value of every query parameter SECRET_PARAM names replaced by REDACTED. */
export function redactQueryString(url: string): string {
  return rewriteQuery(url, (p) =>
    p.value !== null && SECRET_PARAM.test(decodeQueryPart(p.name)) ? `${p.name}=${REDACTED}` : p.written,
  );
}
