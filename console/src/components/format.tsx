import { useEffect, useRef, useState, type ReactNode } from 'react';

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** Every time in the console the same way: local, to the second; the exact UTC instant on hover. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={new Date(at).toISOString()}>
      {timeFormat.format(new Date(at))}
    </time>
  );
}

export const fmtMs = (ms: number | null | undefined) =>
  ms === null || ms === undefined
    ? '—'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 120_000
        ? `${(ms / 1000).toFixed(1)} s`
        : ms < 7_200_000
          ? `${(ms / 60_000).toFixed(1)} min`
          : `${(ms / 3_600_000).toFixed(1)} h`;
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10} %`;

/** The part of a UUIDv7 people can tell apart: its random tail (the head is a timestamp, shared by ids of the same minute). */
export const idTail = (id: string) => id.replace(/-/g, '').slice(-6);
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** Text from the server with each whole UUID shortened to its tail. */
export const shortenIds = (text: string) => text.replace(UUID, (id) => `…${idTail(id)}`);

/** Copies `text`: the Clipboard API, or (plain HTTP to a remote host has none) the older copy command. */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused: try the older way
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/**
 * An id as people read it (its tail), with the whole id one click away on the clipboard. Where the
 * browser copies nothing, the whole id is shown, selected, to copy by hand.
 */
export function IdTag({ id, label = 'id' }: { id: string; label?: string }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const code = useRef<HTMLElement>(null);
  useEffect(() => {
    if (copied === 'failed' && code.current) window.getSelection()?.selectAllChildren(code.current);
    if (copied !== 'yes') return;
    const t = setTimeout(() => setCopied('no'), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <span className="id-tag">
      <code title={id} ref={code}>
        {copied === 'failed' ? id : `…${idTail(id)}`}
      </code>
      <button
        type="button"
        className="copy"
        aria-label={`copy ${label} ${id}`}
        onClick={() => void copyText(id).then((ok) => setCopied(ok ? 'yes' : 'failed'))}
      >
        {copied === 'yes' ? 'copied' : copied === 'failed' ? 'not copied: selected' : 'copy'}
      </button>
    </span>
  );
}

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge b-${value}`}>{label ?? value.replace(/_/g, ' ')}</span>;
}

export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
