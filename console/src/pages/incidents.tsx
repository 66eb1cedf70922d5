import { useState } from 'react';
import { Link } from 'wouter';
import { qs, type Incident, type LoopStatus } from '../api/client';
import { StaleNote, useApi, useLiveReload, useStream } from '../components/data';
import { FilterSelect, FilterText, SinceSelect, useUrlFilters } from '../components/filters';
import { Badge, IdTag, Time } from '../components/format';
import { LoadMore, usePaged } from '../components/paged';

const PAGE = 25;
const FILTERS = [
  'status',
  'severity',
  'source',
  'errorType',
  'agentId',
  'capability',
  'matchedPatternId',
  'since',
] as const;

/** The row's loop: read once, then replaced by live updates from the tenant stream. */
function LoopCell({ id, live }: { id: string; live?: LoopStatus }) {
  const read = useApi<LoopStatus>(live ? null : `/integration/loop/${id}`);
  const loop = live ?? read.data;
  if (!loop) return <span className="muted">{read.error ? 'no trace' : '…'}</span>;
  return (
    <>
      <Badge value={loop.state} /> {loop.stagesCompleted.length}/{loop.totalStages}
    </>
  );
}

export function Incidents() {
  const { values: f, set } = useUrlFilters(FILTERS);
  const list = usePaged<Incident>(`/incidents${qs({ ...f, limit: PAGE })}`);
  const items = list.data;
  const [loops, setLoops] = useState<Record<string, LoopStatus>>({});

  // New incidents appear as their loops start (in front of the pages loaded); known ones show their progress.
  // News while the list is still being read is read again too: that read may have been answered before it.
  // After a break in the stream the list is read again: incidents reported meanwhile were not told.
  useStream('/integration/stream', (data) => {
    const status = data as LoopStatus;
    setLoops((l) => ({ ...l, [status.incidentId]: status }));
  });
  useLiveReload(list.reload, ['loop_progress'], {
    ms: 1000,
    matches: (data) => !items?.some((i) => i.id === (data as LoopStatus).incidentId),
  });

  return (
    <section>
      <h1>Incidents</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        <FilterSelect
          label="Status"
          value={f.status}
          options={['open', 'mitigating', 'resolved']}
          onChange={(v) => set('status', v)}
        />
        <FilterSelect
          label="Severity"
          value={f.severity}
          options={['low', 'medium', 'high', 'critical']}
          onChange={(v) => set('severity', v)}
        />
        <FilterSelect
          label="Source"
          value={f.source}
          options={['api', 'alertmanager', 'degradation']}
          onChange={(v) => set('source', v)}
        />
        <FilterText label="Error type" value={f.errorType} onChange={(v) => set('errorType', v)} />
        <FilterText label="Agent" value={f.agentId} onChange={(v) => set('agentId', v)} />
        <FilterText label="Capability" value={f.capability} onChange={(v) => set('capability', v)} />
        <SinceSelect value={f.since} onChange={(v) => set('since', v)} />
        {f.matchedPatternId && (
          <button type="button" className="secondary" onClick={() => set('matchedPatternId', '')}>
            Pattern …{f.matchedPatternId.slice(-6)} ✕
          </button>
        )}
      </form>
      {list.error && (
        <p className="error" role="alert">
          {list.error.message}
        </p>
      )}
      {list.stale && <StaleNote error={list.stale} reload={list.reload} />}
      {items === null && !list.error && <p className="muted">Loading…</p>}
      {items?.length === 0 && <p className="muted">No incidents match.</p>}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Incident</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Loop</th>
                <th scope="col">Agent</th>
                <th scope="col">Source</th>
                <th scope="col">Reported</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-incident={i.id}>
                  <td>
                    <Link href={`/incidents/${i.id}`} data-testid="incident-label">
                      {i.title || i.errorType}
                    </Link>{' '}
                    <IdTag id={i.id} label="incident id" />
                    <div className="muted small">{i.errorType}</div>
                  </td>
                  <td>
                    <Badge value={i.severity} />
                  </td>
                  <td>
                    <Badge value={i.status} />
                  </td>
                  <td>
                    <LoopCell id={i.id} live={loops[i.id]} />
                  </td>
                  <td>{i.agentId ?? '—'}</td>
                  <td>
                    {i.source}
                    {i.repeatCount > 1 ? <span className="muted small"> · fired {i.repeatCount}×</span> : null}
                  </td>
                  <td>
                    <Time at={i.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore paged={list} />
    </section>
  );
}
