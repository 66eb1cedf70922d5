import { useEffect, useState } from 'react';
import type { InboxSummary } from '../api/client';
import { useApi, useLiveReload, useStream } from './data';

/**
 * How many items wait in the inbox, for the navigation: read once, then kept current by the
 * `inbox_changed` messages of the tenant's live stream (each carries the new summary), and read
 * again after a break of the stream (the messages missed meanwhile are not sent again).
 */
export function InboxCount() {
  const initial = useApi<InboxSummary>('/inbox/summary');
  const [live, setLive] = useState<InboxSummary | null>(null);
  useStream('/integration/stream', (data) => setLive(data as InboxSummary), ['inbox_changed']);
  useLiveReload(initial.reload, []);
  // A summary read afresh is the newest one known.
  useEffect(() => setLive(null), [initial.data]);
  const summary = live ?? initial.data;
  if (!summary || summary.total === 0) return null;
  return (
    <span className="count" data-testid="inbox-count" aria-label={`${summary.total} waiting`}>
      {summary.total}
    </span>
  );
}
