import pg from 'pg';
import { isDatabaseUnavailable } from '../http/http-exception.filter.js';
import { sessionConnection } from './data-source-options.js';
import { StartupError } from './postgres-placement.js';

/** DATABASE_URL's server did not answer within DATABASE_CONNECT_TIMEOUT_S: main.ts exits 69 (EX_UNAVAILABLE) on it. */
export class DatabaseUnavailableError extends StartupError {}
/**
 * DATABASE_URL's server answered and refused it (a wrong user or password, a database that does not
 * exist): the URL is wrong, so main.ts exits 78 (EX_CONFIG) on it, as for a bad variable.
 */
export class DatabaseRefusedError extends StartupError {}

// invalid_password, invalid_authorization_specification (no such user, pg_hba), invalid_catalog_name.
const REFUSED_SQLSTATE = new Set(['28P01', '28000', '3D000']);

/** The first retry waits this long, each next one twice as long, up to the cap. */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 5000;
/** One attempt gives up after this long (a host that drops packets would otherwise hold it for minutes). */
const ATTEMPT_TIMEOUT_MS = 5000;

// Besides what means "the server is away" once running: a host name not resolving yet (a compose
// service whose container does not exist yet) or a network not up yet.
const NOT_YET_ERRNO = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH']);

export interface WaitForDatabaseOptions {
  /** Attempts go on for this long after the first (0: one attempt). */
  timeoutMs: number;
  /** One line per failed attempt that will be followed by another. */
  warn: (msg: string) => void;
}

/**
 * Connects once to `url`, retrying with a capped exponential back-off while the server cannot be
 * reached (refused, not resolving, starting up), for up to `timeoutMs`: a compose file or a pod
 * whose database starts after the app. A server that answers with any other error is not waited
 * for: a wrong user, password or database is a DatabaseRefusedError in one line, anything else is
 * thrown as it is, at once. After the deadline,
 * a DatabaseUnavailableError in one line. Neither the warnings nor the error show the URL's
 * credentials: they name the server by host, port and database only.
 */
export async function waitForDatabase(url: string, { timeoutMs, warn }: WaitForDatabaseOptions): Promise<void> {
  const where = serverOf(url);
  const password = passwordOf(url);
  const clean = (text: string) => (password ? text.split(password).join('***') : text);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const error = await connectOnce(url);
    if (error === null) return;
    const code = String((error as { code?: unknown }).code);
    const reason = clean(reasonOf(error));
    if (REFUSED_SQLSTATE.has(code))
      throw new DatabaseRefusedError(`the database at ${where} (DATABASE_URL) refused the connection: ${reason}`);
    if (!isDatabaseUnavailable(error) && !NOT_YET_ERRNO.has(code)) throw error;
    const left = deadline - Date.now();
    if (left <= 0) {
      const tried = timeoutMs === 0 ? 'one attempt' : `${attempt} attempts over ${timeoutMs / 1000} s`;
      throw new DatabaseUnavailableError(
        `the database at ${where} (DATABASE_URL) cannot be reached: ${reason}; gave up after ${tried} (DATABASE_CONNECT_TIMEOUT_S)`,
      );
    }
    const delay = Math.min(FIRST_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS, left);
    warn(
      `the database at ${where} (DATABASE_URL) cannot be reached yet: ${reason}; attempt ${attempt}, trying again in ${(delay / 1000).toFixed(1)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function connectOnce(url: string): Promise<unknown> {
  const { connectionString, options } = sessionConnection(url);
  const client = new pg.Client({
    connectionString,
    options,
    application_name: 'pillar-loop',
    connectionTimeoutMillis: ATTEMPT_TIMEOUT_MS,
  });
  // An error after connect (the server going away at once) must not be an uncaught 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `host:port/database` (and the socket folder of a `?host=` URL): the server, without user or password. */
export function serverOf(url: string): string {
  try {
    const u = new URL(url);
    const socket = u.searchParams.get('host');
    const port = u.port || '5432';
    return `${u.hostname}:${port}${u.pathname}${socket ? ` (socket in ${socket})` : ''}`;
  } catch {
    return 'DATABASE_URL';
  }
}

function passwordOf(url: string): string {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.password) || u.searchParams.get('password') || '';
  } catch {
    return '';
  }
}

/** A socket error's code in words, a server's message as it is (not its stack). */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ENOENT: 'no server socket',
  };
  const code = typeof e.code === 'string' ? e.code : '';
  if (words[code]) return `${words[code]} (${code})`;
  const message = typeof e.message === 'string' ? e.message.split('\n')[0] : String(err);
  return code ? `${message} (${code})` : message;
}
