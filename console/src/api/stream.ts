import { SESSION_CHANGED, SESSION_ENDED, type Session } from './client';

/**
 * The browser's one live connection per signed-in session: a single EventSource on the tenant's
 * stream (`/integration/stream`), shared by every component of every console tab (ADR 0011). A
 * stream holds an HTTP/1.1 connection for as long as it is open and a browser allows six per host,
 * so one stream per tab starved the requests of every tab once about five were open.
 *
 * - **Sharing**: the tabs of one session take turns through a Web Lock named after the session;
 *   the tab holding it (the leader) opens the EventSource and relays each event over a
 *   BroadcastChannel of the same name to the other tabs, which only listen. The lock is released
 *   when the leader stops listening, closes or navigates away, and a waiting tab takes over at
 *   once. Without Web Locks or BroadcastChannel (an old browser, or plain HTTP to a remote host:
 *   Web Locks need a secure context) each tab opens its own EventSource, as before.
 * - **Listeners** are counted per event name: a tab joins with the first listener and leaves
 *   shortly after the last one went (a page change does not reopen it). Components filter what
 *   they get by id (incidentId, runId, …).
 * - **Reconnects**: EventSource reconnects by itself after a dropped connection; when it gives up
 *   (an error status: the session ended, too many streams, a proxy's 502) the source is dropped
 *   and opened again after a back-off while anyone still listens. Each time the stream is open
 *   (again) and checked, every tab's listeners of {@link RECONNECTED} are told, so they can read
 *   again what they may have missed: after a break, when a tab takes over from a leader that left,
 *   and at the first open too, since the pages read before their stream opened.
 * - **Whose stream**: the cookie is the browser's, so a stream opened (or reopened by the browser)
 *   after another tab signed in as someone else is that someone's. Each time the stream opens, its
 *   events are held back until `GET /auth/session` says the cookie is still this tab's session; if
 *   not, none is passed on, the stream is closed and every tab of the session is told
 *   ({@link SESSION_CHANGED}, or SESSION_ENDED for nobody).
 */

export const TENANT_STREAM = '/integration/stream';
export type TenantStream = typeof TENANT_STREAM;
/** A pseudo event, sent by this module (never by the server) when the stream is open again after a break. */
export const RECONNECTED = 'stream_reconnected';
/**
 * The events the server sends on the tenant stream (LoopStreamController, and the emitTenantEvent
 * callers). A leader relays these whether or not it listens to them itself; a new event name the
 * console listens to must be added here, or only the leader's own listeners would hear it.
 */
const STREAM_EVENTS = ['loop_progress', 'run_progress', 'work_order_progress', 'inbox_changed'];

export type StreamListener = (data: unknown, event: string) => void;

/** What of the signed-in session names its stream (scopeOf). */
type StreamSession = Pick<Session, 'tenantId' | 'keyName' | 'expiresAt'>;

/** What a leader tells the other tabs of its session. */
type Relay =
  | { kind: 'event'; event: string; data: unknown }
  | { kind: 'reconnected' }
  /** The stream was refused with a 401: every tab shows the sign-in form. */
  | { kind: 'session_ended' }
  /** The stream opened with another session's cookie (another tab signed in): none of its events is theirs. */
  | { kind: 'session_changed'; session: StreamSession };

const listeners = new Map<string, Set<StreamListener>>();
/** Names the lock and the channel: the signed-in session; null: nobody is signed in, no stream. */
let scope: string | null = null;
/** This tab's part in the shared stream: the channel while it listens, and how it quits the lock (held or awaited). */
let channel: BroadcastChannel | null = null;
let stepDown: (() => void) | null = null;
/** The EventSource's own listener for each event name it dispatches (leader or a tab on its own). */
const attached = new Map<string, (e: MessageEvent<string>) => void>();
let source: EventSource | null = null;
/** The events of the source's latest open, held back until its session is checked; null: checked. */
let held: Relay[] | null = null;
/**
 * Events may have been missed since the pages read (they read before the stream opened, or it broke, or
 * another leader's ended): the next checked open tells them to read again.
 */
let broken = false;
let retryMs = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let closeTimer: ReturnType<typeof setTimeout> | null = null;

const CLOSE_AFTER_MS = 1000;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60_000;

const shared = () => typeof navigator !== 'undefined' && !!navigator.locks && typeof BroadcastChannel === 'function';

/**
 * Who is signed in (the console's session as `/auth/session` answers it), or null after sign-out.
 * The tenant and the session's expiry (to the millisecond, so each sign-in's own) name the lock and
 * channel: tabs of another tenant, or of a later session after a sign-out, never hear these events.
 */
const scopeOf = (session: StreamSession) => JSON.stringify([session.tenantId, session.keyName, session.expiresAt]);

export function setStreamSession(session: StreamSession | null) {
  const next = session ? scopeOf(session) : null;
  if (next === scope) return;
  leave();
  scope = next;
  start();
}

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

/** A message for every tab of the session: this one, and the others through the channel (if shared). */
function relay(message: Relay): void {
  channel?.postMessage(message);
  receive(message);
}

function receive(message: Relay): void {
  if (message.kind === 'event') dispatch(message.event, message.data);
  else if (message.kind === 'reconnected') dispatch(RECONNECTED, null);
  else if (message.kind === 'session_changed')
    window.dispatchEvent(new CustomEvent(SESSION_CHANGED, { detail: message.session }));
  else window.dispatchEvent(new Event(SESSION_ENDED));
}

/** Joins the stream while anyone listens: the session's leader election, or a stream of the tab's own. */
function start(): void {
  if (channel || source || retryTimer || !scope || listenerCount() === 0) return;
  broken = true;
  if (shared()) join(`pillar-loop:stream:${scope}`);
  else open();
}

function join(name: string): void {
  const ch = new BroadcastChannel(name);
  channel = ch;
  ch.onmessage = (m: MessageEvent<Relay>) => receive(m.data);
  const quit = new AbortController();
  stepDown = () => quit.abort();
  // Held until stepDown resolves it (or the tab goes, which releases it).
  navigator.locks
    .request(
      name,
      { signal: quit.signal },
      () =>
        new Promise<void>((resolve) => {
          if (quit.signal.aborted || channel !== ch) return resolve();
          stepDown = resolve;
          open();
        }),
    )
    .catch(() => undefined); // aborted: left
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
    const message: Relay = { kind: 'event', event, data };
    if (held) held.push(message);
    else relay(message);
  };
  attached.set(event, handler);
  es.addEventListener(event, handler);
}

function open(): void {
  if (source || listenerCount() === 0) return;
  const es = new EventSource(TENANT_STREAM, { withCredentials: true });
  source = es;
  attached.clear();
  for (const event of new Set([...STREAM_EVENTS, ...listeners.keys()])) attach(es, event);
  es.onopen = () => {
    // Also after the browser's own reconnect: the cookie it sent may be another session's by now.
    const events: Relay[] = [];
    held = events;
    void verify(es, events);
  };
  es.onerror = () => {
    broken = true;
    // The open under check is over: its check must not pass for the reopen, which has its own
    // (verify), or it would announce the reconnect before the stream is back, and not after it.
    if (source === es) held = null;
    // CONNECTING: the browser retries by itself. CLOSED: it gave up; drop it and try again later.
    if (es.readyState !== EventSource.CLOSED || source !== es) return;
    drop();
    void checkSession();
    retryLater();
  };
}

function retryLater(): void {
  retryMs = Math.min(Math.max(retryMs * 2, RETRY_MIN_MS), RETRY_MAX_MS);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    open();
  }, retryMs);
}

/**
 * Whose stream just opened: the browser sent the cookie it has now, and another tab may have signed
 * in as someone else (ADR 0011). `GET /auth/session` with that cookie says; the events held since
 * the open are passed on only if it is still this tab's session. Otherwise none is: the stream is
 * closed and the session's tabs are told who is signed in now (or that nobody is); with no answer
 * (offline, a 502) it is tried again after the back-off.
 */
async function verify(es: EventSource, events: Relay[]): Promise<void> {
  const now = await sessionNow();
  // Dropped, left, or opened again meanwhile: that open's own check decides.
  if (source !== es || held !== events) return;
  held = null;
  if (now && scopeOf(now) === scope) {
    retryMs = 0;
    if (broken) {
      broken = false;
      relay({ kind: 'reconnected' });
    }
    for (const message of events) relay(message);
    return;
  }
  broken = true;
  drop();
  if (now === undefined) retryLater();
  else relay(now ? { kind: 'session_changed', session: now } : { kind: 'session_ended' });
}

/**
 * EventSource does not say why it gave up. A 401 means the session ended (expired, signed out, its
 * key revoked): ask `GET /auth/session` — cheap, authenticated by the same cookie, and no failed
 * guess for the auth throttle — and on its 401 tell every tab of the session, as api() tells its
 * own tab; any other answer (a 429 or a 502 on the stream) is left to the back-off.
 */
async function checkSession(): Promise<void> {
  const asked = scope;
  // Unless the tab moved on meanwhile (signed out, or the stream is back); no answer: the back-off tries again.
  if ((await sessionNow()) === null && scope === asked && source === null) relay({ kind: 'session_ended' });
}

/**
 * Who the browser's cookie signs in now: `GET /auth/session`'s session, null on its 401, undefined
 * without an answer (offline, a 502).
 */
async function sessionNow(): Promise<StreamSession | null | undefined> {
  try {
    const res = await fetch('/auth/session', { credentials: 'same-origin' });
    return res.ok ? ((await res.json()) as StreamSession) : res.status === 401 ? null : undefined;
  } catch {
    return undefined;
  }
}

function drop(): void {
  if (!source) return;
  source.onopen = null;
  source.onerror = null;
  for (const [event, handler] of attached) source.removeEventListener(event, handler);
  attached.clear();
  source.close();
  source = null;
  held = null;
}

/** Stops listening: the stream closed, the lock released or no longer awaited, the channel left. */
function leave(): void {
  stepDown?.();
  stepDown = null;
  channel?.close();
  channel = null;
  drop();
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  retryMs = 0;
  broken = false;
}

function closeWhenUnused(): void {
  if (closeTimer) clearTimeout(closeTimer);
  closeTimer = setTimeout(() => {
    closeTimer = null;
    if (listenerCount() === 0) leave();
  }, CLOSE_AFTER_MS);
}

/** Listens to one event of the tenant's stream (joining it if need be); returns the unsubscribe. */
export function subscribe(event: string, listener: StreamListener): () => void {
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(listener);
  if (closeTimer) {
    clearTimeout(closeTimer);
    closeTimer = null;
  }
  if (source) attach(source, event);
  start();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const mine = listeners.get(event);
    mine?.delete(listener);
    if (mine && mine.size === 0) listeners.delete(event);
    if (listenerCount() === 0) closeWhenUnused();
  };
}
