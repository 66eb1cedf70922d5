import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A list read page by page: `data` and `error` as `useApi`'s (so `Show` takes it), `more` loads the next page. */
export interface Paged<T> {
  data: T[] | null;
  /** Why the first page could not be read: there is nothing to show. */
  error: Error | null;
  /** Why the latest re-read failed while the pages read before stay on screen (see useApi). */
  stale: Error | null;
  /** Reads the first page again and merges it in front of what is loaded (pages loaded by `more` stay). */
  reload: () => void;
  /** Loads the next page; null when there is none. */
  more: (() => void) | null;
  moreBusy: boolean;
  moreError: string | null;
}

const withCursor = (path: string, cursor: string) =>
  `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;

/**
 * The first page read again, put in front of the pages loaded so far. Lists are in a stable order
 * (newest first, say): the loaded items up to where the new first page ends are replaced by it (one
 * missing from it was removed, or left the filter), those after it are older pages', kept with the
 * cursor that follows them. When the new first page ends past what is loaded, or shares nothing
 * with it (more arrived than a page holds), it is the list from now on.
 */
export function mergeFirstPage<T extends { id: string }>(loaded: Page<T> | null, first: Page<T>): Page<T> {
  if (!loaded || first.nextCursor === null || first.items.length === 0) return first;
  const end = first.items[first.items.length - 1].id;
  const at = loaded.items.findIndex((i) => i.id === end);
  if (at === -1) return first;
  const fresh = new Set(first.items.map((i) => i.id));
  const older = loaded.items.slice(at + 1).filter((i) => !fresh.has(i.id));
  return older.length === 0 ? first : { items: [...first.items, ...older], nextCursor: loaded.nextCursor };
}

/**
 * GETs `path` (a list route answering `{items, nextCursor}`, its `limit` in the query) and the
 * pages after it on `more()`. A new path starts over; `reload()` (a live update) keeps the pages
 * loaded with `more` instead of falling back to the first page. A null path waits.
 */
export function usePaged<T extends { id: string }>(path: string | null): Paged<T> {
  const [state, setState] = useState<{ page: Page<T> | null; error: Error | null; stale: Error | null }>({
    page: null,
    error: null,
    stale: null,
  });
  const [moreBusy, setMoreBusy] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  // Answers for an older path are dropped.
  const current = useRef(path);
  current.current = path;
  // Reads may answer out of order (a live update's re-read asked while the first read was still out):
  // an answer asked before the one on screen is dropped, or it would put back what that one added.
  const asked = useRef(0);
  const shown = useRef(0);
  const newest = (n: number) => n > shown.current && ((shown.current = n), true);

  useEffect(() => {
    setState({ page: null, error: null, stale: null });
    setMoreError(null);
    if (path === null) return;
    let live = true;
    const n = ++asked.current;
    api<Page<T>>(path).then(
      (page) => live && newest(n) && setState({ page, error: null, stale: null }),
      (error: Error) => live && newest(n) && setState({ page: null, error, stale: null }),
    );
    return () => {
      live = false;
    };
  }, [path]);

  const reload = useCallback(() => {
    const path = current.current;
    if (path === null) return;
    const n = ++asked.current;
    api<Page<T>>(path).then(
      (first) => {
        if (current.current === path && newest(n))
          setState((s) => ({ page: mergeFirstPage(s.page, first), error: null, stale: null }));
      },
      (error: Error) => {
        // What is loaded stays on screen; with nothing loaded yet, the failure is the page's error.
        if (current.current === path && newest(n))
          setState((s) => (s.page === null ? { ...s, error } : { ...s, stale: error }));
      },
    );
  }, []);

  const cursor = state.page?.nextCursor ?? null;
  const more = useCallback(async () => {
    const asked = current.current;
    if (asked === null || cursor === null) return;
    setMoreBusy(true);
    setMoreError(null);
    try {
      const next = await api<Page<T>>(withCursor(asked, cursor));
      if (current.current !== asked) return;
      setState((s) => {
        if (!s.page || s.page.nextCursor !== cursor) return s; // a reload moved on meanwhile
        const known = new Set(s.page.items.map((i) => i.id));
        return {
          page: {
            items: [...s.page.items, ...next.items.filter((i) => !known.has(i.id))],
            nextCursor: next.nextCursor,
          },
          error: null,
          stale: s.stale,
        };
      });
    } catch (e) {
      if (current.current === asked) setMoreError(e instanceof Error ? e.message : String(e));
    } finally {
      setMoreBusy(false);
    }
  }, [cursor]);

  return {
    data: state.page?.items ?? null,
    error: state.error,
    stale: state.stale,
    reload,
    more: cursor === null ? null : () => void more(),
    moreBusy,
    moreError,
  };
}

/** "Load more" under a paged list while there is a next page, with the error of the last try. */
export function LoadMore<T>({ paged }: { paged: Paged<T> }) {
  if (!paged.more && !paged.moreError) return null;
  return (
    <p className="load-more">
      {paged.more && (
        <button type="button" disabled={paged.moreBusy} onClick={paged.more}>
          Load more
        </button>
      )}
      {paged.moreError && (
        <span className="error" role="alert">
          {' '}
          {paged.moreError}
        </span>
      )}
    </p>
  );
}
