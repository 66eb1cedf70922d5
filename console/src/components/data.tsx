import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, api } from '../api/client';
import { subscribe, type TenantStream } from '../api/stream';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  reload: () => void;
}

/** GETs a path; reload() fetches again. A null path waits (and makes no request). */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null }>({ data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>(path).then(
      (data) => live && setState({ data, error: null }),
      (error: Error) => live && setState({ data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Loading, the error, "nothing here yet", or the content. */
export function Show<T>({
  r,
  empty,
  children,
}: {
  r: Loaded<T>;
  empty?: (d: T) => boolean;
  children: (d: T) => ReactNode;
}) {
  if (r.error)
    return (
      <p className="error" role="alert">
        {r.error.message}
      </p>
    );
  if (r.data === null)
    return (
      <p className="muted" aria-busy="true">
        Loading…
      </p>
    );
  if (empty?.(r.data)) return <p className="muted">Nothing here yet.</p>;
  return <>{children(r.data)}</>;
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
