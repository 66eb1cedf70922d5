import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, api } from './api';

/** Client-side navigation under /console. */
export function navigate(to: string) {
  history.pushState(null, '', `/console${to}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={`/console${to}`}
      className={className}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => void;
}

/** GETs a path; reload() fetches again. A null path waits. */
export function useApi<T = any>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | Error | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Loading, error ("not available on this server yet" for a 404 of a feature route) or the content. */
export function Show<T>({ r, feature, empty, children }: { r: Loaded<T>; feature?: string; empty?: (d: T) => boolean; children: (d: T) => ReactNode }) {
  if (r.error) {
    if (feature && r.error instanceof ApiError && r.error.notAvailable) {
      return <p className="notice" role="status">{feature}: not available on this server yet.</p>;
    }
    return <p className="error" role="alert">{r.error.message}</p>;
  }
  if (r.data === null) return <p className="muted" aria-busy="true">Loading…</p>;
  if (empty?.(r.data)) return <p className="muted">Nothing here yet.</p>;
  return <>{children(r.data)}</>;
}

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
  const note = message ? <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p> : null;
  return { busy, run, note };
}

/** An EventSource on a same-origin path (the cookie goes with it); `onMessage` gets each event's data. */
export function useStream(path: string | null, onMessage: (data: any, event: string) => void, events: string[] = ['loop_progress']) {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const names = events.join(',');
  useEffect(() => {
    if (!path) return;
    const source = new EventSource(path, { withCredentials: true });
    for (const name of names.split(',')) source.addEventListener(name, (e: MessageEvent) => handler.current(JSON.parse(e.data), name));
    return () => source.close();
  }, [path, names]);
}

/** Calls `fn` at most once per `ms` (trailing call kept): a busy stream must not refetch per event. */
export function useThrottled(fn: () => void, ms = 1500) {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}

export const fmtTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
export const fmtMs = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
export const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10} %`);

export function Badge({ value }: { value: string }) {
  return <span className={`badge b-${value}`}>{value.replace(/_/g, ' ')}</span>;
}

export function Stat({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

/** A labelled filter select whose first option, "any", is the empty value. */
export function FilterSelect({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => <option key={o}>{o}</option>)}
      </select>
    </label>
  );
}
