import type { Target } from './config.js';
import { CliError } from './exit-codes.js';
import { SseParser, type SseMessage } from './sse.js';

/** How long a request may take before the command gives up on it (a stream: until its answer starts). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The service's heart-beat on its streams: a comment every SSE_HEARTBEAT_MS, 15 s unless its operator changed it. */
export const SERVICE_HEARTBEAT_MS = 15_000;
/**
 * How long an open stream may stay silent (not even a heart-beat) before it is taken for a dead
 * connection and dropped: three heart-beats missed. PILLAR_LOOP_STREAM_IDLE_MS changes it.
 */
export const STREAM_IDLE_MS = 3 * SERVICE_HEARTBEAT_MS;

export type Query = Record<string, string | number | boolean | undefined | null>;

/** An answer other than 2xx, said in one line with the server's own message. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    message: string,
    /** The answer's Retry-After, in ms (null: none, or unreadable). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  const v = value?.trim();
  if (!v) return null;
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

/**
 * The public HTTP API, with the key in the Authorization header and nowhere else. Every failure
 * becomes one line: the status and the server's message, or why the service could not be reached.
 */
export class ApiClient {
  constructor(
    private readonly target: Target,
    /**
     * How long a stream may be silent before it is dropped (STREAM_IDLE_MS); read when a stream
     * opens, so that a bad setting fails the watch only, not every command.
     */
    private readonly idleLimitMs: () => number = () => STREAM_IDLE_MS,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path + queryString(query));
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** Every item of a newest-first list, page by page, up to `max` items. */
  async all<T>(path: string, query: Query, max: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: T[]; nextCursor: string | null } = await this.get(path, {
        ...query,
        limit: Math.min(200, max - items.length),
        cursor,
      });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items;
  }

  /**
   * Opens a server-sent event stream; resolves once the service has answered (it subscribes the
   * stream before answering, so whatever is read after this is not missed), with its messages
   * until the service ends the stream or `signal` aborts it. `onRetry` hears the stream's `retry` fields.
   * A stream silent for `idleLimitMs()` (no message, no heart-beat: a connection that died without
   * closing, behind a NAT or a proxy) is dropped with a CliError, as a lost connection is.
   */
  async stream(path: string, signal: AbortSignal, onRetry?: (ms: number) => void): Promise<AsyncGenerator<SseMessage>> {
    const idleMs = this.idleLimitMs();
    // The timeout bounds the wait for the answer to start; `silent` then watches the stream.
    const late = new AbortController();
    const silent = new AbortController();
    const timer = setTimeout(() => late.abort(new DOMException('timed out', 'TimeoutError')), REQUEST_TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.fetch(path, {
        headers: { ...this.auth(), Accept: 'text/event-stream' },
        signal: AbortSignal.any([signal, late.signal, silent.signal]),
      });
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw await this.failure(res);
    return this.messages(res, path, signal, silent, idleMs, onRetry);
  }

  private async *messages(
    res: Response,
    path: string,
    signal: AbortSignal,
    silent: AbortController,
    idleMs: number,
    onRetry?: (ms: number) => void,
  ): AsyncGenerator<SseMessage> {
    if (!res.body) return;
    const parser = new SseParser(onRetry);
    const decoder = new TextDecoder();
    // Runs while a chunk is awaited, started afresh after each one (heart-beat comments included);
    // stopped while the caller holds a message, so that nothing is aborted under it.
    let idle: NodeJS.Timeout | undefined;
    const listen = () => (idle = setTimeout(() => silent.abort(), idleMs));
    listen();
    try {
      for await (const chunk of res.body) {
        clearTimeout(idle);
        for (const message of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) yield message;
        listen();
      }
    } catch (error) {
      if (signal.aborted) return;
      if (silent.signal.aborted)
        throw new CliError(`the live stream went silent (nothing for ${idleMs / 1000} s, not even a heart-beat)`);
      throw this.unreachable(error, path);
    } finally {
      clearTimeout(idle);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: body === undefined ? this.auth() : { ...this.auth(), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!res.ok) throw await this.failure(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    try {
      // The generated types are the contract of the route called.
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${path} answered ${res.status} with something other than JSON`);
    }
  }

  private auth() {
    return { Authorization: `Bearer ${this.target.key}` };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.target.url}${path}`, { ...init, redirect: 'error' });
    } catch (error) {
      throw this.unreachable(error, path);
    }
  }

  private unreachable(error: unknown, path: string): CliError {
    const e = error as { name?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError')
      return new CliError(`no answer from ${this.target.url}${path} within ${REQUEST_TIMEOUT_MS / 1000} s`);
    const why = e.cause?.code ?? e.cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new CliError(`cannot reach ${this.target.url} (${why})`);
  }

  private async failure(res: Response): Promise<ApiError> {
    let data: unknown;
    const text = await res.text().catch(() => '');
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text.slice(0, 200);
    }
    const said = messageOf(data) ?? res.statusText;
    if (res.status === 401) {
      return new ApiError(401, `the service refused the API key from ${this.target.keySource} (401: ${said})`);
    }
    const retry = res.status === 429 && res.headers.get('retry-after');
    return new ApiError(
      res.status,
      `${res.status}: ${said}${retry ? ` (retry after ${retry} s)` : ''}`,
      retryAfterMs(res.headers.get('retry-after')),
    );
  }
}

/** The server's message: a 400's fields with their errors, else `message`, else `error`. */
export function messageOf(data: unknown): string | null {
  if (typeof data === 'string') return data.trim() || null;
  if (!data || typeof data !== 'object') return null;
  const { message, error, fields } = data as { message?: unknown; error?: unknown; fields?: unknown };
  if (Array.isArray(fields) && fields.length > 0) {
    return fields
      .map((f: { field?: unknown; errors?: unknown }) =>
        Array.isArray(f.errors) ? f.errors.join(', ') : String(f.field),
      )
      .join('; ');
  }
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : typeof error === 'string' ? error : null;
}

export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
