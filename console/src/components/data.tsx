import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, api } from '../api/client';
import { RECONNECTED, TENANT_STREAM, subscribe, type TenantStream } from '../api/stream';

export interface Loaded<T> {
  /** The last good answer: kept on screen when a later read fails (see `stale`). */
  data: T | null;
  /** Why the first read failed: there is nothing to show. */
  error: Error | null;
  /**
   * Why the latest re-read failed (a 502 from a proxy during a deploy) while `data`, an older answer,
   * stays on screen; cleared by the next read that succeeds (the next live event, a reconnect).
   */
  stale?: Error | null;
  reload: () => void;
}

/**
 * GETs a path; reload() fetches again. A null path waits (and makes no request). A re-read that
 * fails keeps the last good answer (`data`) and says why in `stale`: one failed refresh must not
 * replace a live page with an error, nor unmount what listens for the next update.
 */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; stale: Error | null }>({
    data: null,
    error: null,
    stale: null,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>(path).then(
      (data) => live && setState({ data, error: null, stale: null }),
      (error: Error) =>
        live && setState((s) => (s.data === null ? { data: null, error, stale: null } : { ...s, stale: error })),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** What is on screen could not be read again: it stays, with this note, until a read succeeds. */
export function StaleNote({ error, reload }: { error: Error; reload?: () => void }) {
  return (
    <p className="notice stale" role="status" data-testid="stale-note">
      Could not refresh ({error.message}): showing what was read last; it updates again with the next change.{' '}
      {reload && (
        <button type="button" className="secondary small" onClick={reload}>
          Try again
        </button>
      )}
    </p>
  );
}

/** Loading, the error, "nothing here yet", or the content (with a note when a re-read failed). */
export function Show<T>({
  r,
  empty,
  children,
}: {
  r: Loaded<T>;
  empty?: (d: T) => boolean;
  children: (d: T) => ReactNode;
}) {
  if (r.data === null) {
    if (r.error)
      return (
        <p className="error" role="alert">
          {r.error.message}
        </p>
      );
    return (
      <p className="muted" aria-busy="true">
        Loading…
      </p>
    );
  }
  const note = r.stale ? <StaleNote error={r.stale} reload={r.reload} /> : null;
  if (empty?.(r.data))
    return (
      <>
        {note}
        <p className="muted">Nothing here yet.</p>
      </>
    );
  return (
    <>
      {note}
      {children(r.data)}
    </>
  );
}

export const isNotFound = (e: Error | null) => e instanceof ApiError && e.status === 404;

/** Runs an action and shows its error (or a success note) next to the button that started it. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = async (fn: () => Promise<unknown>, ok?: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await fn();
      if (ok) setMessage({ ok: true, text: ok });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  const note = message ? (
    <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>
      {message.text}
    </p>
  ) : null;
  return { busy, run, note };
}

/**
 * Listens to events of the tenant's live stream: the tab's one EventSource, shared by every caller
 * (api/stream.ts); `onMessage` gets each event's parsed data (filter it by id). `path` null: not
 * listening. `stream_reconnected` (RECONNECTED) in `events` is called after the stream came back
 * from a break, to read again what was missed.
 */
export function useStream(
  path: TenantStream | null,
  onMessage: (data: unknown, event: string) => void,
  events: string[] = ['loop_progress'],
) {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const names = events.join(',');
  useEffect(() => {
    if (!path) return;
    const offs = names.split(',').map((name) => subscribe(name, (data, event) => handler.current(data, event)));
    return () => offs.forEach((off) => off());
  }, [path, names]);
}

/**
 * What keeps a page live: `reload` (throttled to once per `ms`) on each of `events` that `matches`
 * (every one without it), and after every break of the stream (RECONNECTED), when the events missed
 * meanwhile were never told. `path` null: not listening. Every live page reads again this one way.
 */
export function useLiveReload(
  reload: () => void,
  events: string[],
  {
    ms = 1500,
    matches,
    path = TENANT_STREAM,
  }: { ms?: number; matches?: (data: unknown, event: string) => boolean; path?: TenantStream | null } = {},
) {
  const soon = useThrottled(reload, ms);
  const match = useRef(matches);
  match.current = matches;
  useStream(
    path,
    (data, event) => {
      if (event === RECONNECTED || !match.current || match.current(data, event)) soon();
    },
    [...events, RECONNECTED],
  );
}

/** Calls `fn` at most once per `ms` (trailing call kept): a busy stream must not refetch per event. */
export function useThrottled(fn: () => void, ms = 1500) {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}

/** The current time, ticking every `ms` (countdowns). */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
