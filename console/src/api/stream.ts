/**
 * The tab's one live connection: a single EventSource on the tenant's stream (`/integration/stream`)
 * shared by every component that listens (ADR 0011). Each stream holds an HTTP/1.1 connection for
 * as long as it is open, and a browser allows six per host, so a tab that opened one per component
 * starved its own requests (and the other tabs') of connections.
 *
 * Listeners are counted per event name: the EventSource opens with the first listener and closes
 * shortly after the last one leaves (a page change does not reopen it). Components filter what
 * they get by id (incidentId, runId, …). EventSource reconnects by itself after a dropped
 * connection; when it gives up (an error status, e.g. the session ended or too many streams), the
 * source is dropped and opened again after a back-off while anyone still listens. After any
 * reconnect, the listeners of {@link RECONNECTED} are told, so they can read again what they may
 * have missed.
 */

export const TENANT_STREAM = '/integration/stream';
export type TenantStream = typeof TENANT_STREAM;
/** A pseudo event, sent by this module (never by the server) when the stream is open again after a break. */
export const RECONNECTED = 'stream_reconnected';

export type StreamListener = (data: unknown, event: string) => void;

const listeners = new Map<string, Set<StreamListener>>();
/** The EventSource's own listener for each event name it dispatches. */
const attached = new Map<string, (e: MessageEvent<string>) => void>();
let source: EventSource | null = null;
/** A break (error) happened since the last open: the next open is a reconnect. */
let broken = false;
let retryMs = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let closeTimer: ReturnType<typeof setTimeout> | null = null;

const CLOSE_AFTER_MS = 1000;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60_000;

function listenerCount(): number {
  let n = 0;
  for (const set of listeners.values()) n += set.size;
  return n;
}

function dispatch(event: string, data: unknown): void {
  for (const listener of [...(listeners.get(event) ?? [])]) {
    try {
      listener(data, event);
    } catch (err) {
      console.error(`stream listener for ${event} failed`, err);
    }
  }
}

function attach(es: EventSource, event: string): void {
  if (event === RECONNECTED || attached.has(event)) return;
  const handler = (e: MessageEvent<string>) => {
    let data: unknown;
    try {
      data = JSON.parse(e.data) as unknown;
    } catch {
      return;
    }
    dispatch(event, data);
  };
  attached.set(event, handler);
  es.addEventListener(event, handler);
}

function open(): void {
  if (source || listenerCount() === 0) return;
  const es = new EventSource(TENANT_STREAM, { withCredentials: true });
  source = es;
  attached.clear();
  for (const event of listeners.keys()) attach(es, event);
  es.onopen = () => {
    retryMs = 0;
    if (broken) {
      broken = false;
      dispatch(RECONNECTED, null);
    }
  };
  es.onerror = () => {
    broken = true;
    // CONNECTING: the browser retries by itself. CLOSED: it gave up; drop it and try again later.
    if (es.readyState !== EventSource.CLOSED || source !== es) return;
    drop();
    retryMs = Math.min(Math.max(retryMs * 2, RETRY_MIN_MS), RETRY_MAX_MS);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      open();
    }, retryMs);
  };
}

function drop(): void {
  if (!source) return;
  source.onopen = null;
  source.onerror = null;
  for (const [event, handler] of attached) source.removeEventListener(event, handler);
  attached.clear();
  source.close();
  source = null;
}

function closeWhenUnused(): void {
  if (closeTimer) clearTimeout(closeTimer);
  closeTimer = setTimeout(() => {
    closeTimer = null;
    if (listenerCount() > 0) return;
    drop();
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    retryMs = 0;
    broken = false;
  }, CLOSE_AFTER_MS);
}

/** Listens to one event of the tenant's stream (opening it if need be); returns the unsubscribe. */
export function subscribe(event: string, listener: StreamListener): () => void {
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(listener);
  if (closeTimer) {
    clearTimeout(closeTimer);
    closeTimer = null;
  }
  if (source) attach(source, event);
  else if (!retryTimer) open();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const mine = listeners.get(event);
    mine?.delete(listener);
    if (mine && mine.size === 0) {
      listeners.delete(event);
      const handler = attached.get(event);
      if (source && handler) source.removeEventListener(event, handler);
      attached.delete(event);
    }
    if (listenerCount() === 0) closeWhenUnused();
  };
}
