import { useEffect, useState } from 'react';
import { api, qs } from '../api';
import { Badge, FilterSelect, Link, fmtTime, useApi, useStream, useThrottled } from '../ui';

const PAGE = 25;

export function Incidents() {
  const [filters, setFilters] = useState({ status: '', severity: '', errorType: '', agentId: '' });
  const [items, setItems] = useState<any[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loops, setLoops] = useState<Record<string, any>>({});
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api(`/incidents${qs({ ...filters, limit: PAGE })}`).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
      },
      (e) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [filters, tick]);

  // New incidents appear as their loops start; known ones show their progress.
  const refetch = useThrottled(() => setTick((t) => t + 1), 1000);
  useStream('/integration/stream', (status) => {
    setLoops((l) => ({ ...l, [status.incidentId]: status }));
    if (items && !items.some((i) => i.id === status.incidentId)) refetch();
  });

  const more = async () => {
    try {
      const page = await api(`/incidents${qs({ ...filters, limit: PAGE, cursor })}`);
      setItems((i) => [...(i ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (e: any) {
      setError(e.message);
    }
  };
  const field = (name: keyof typeof filters, label: string) => (
    <label>
      {label}
      <input value={filters[name]} onChange={(e) => setFilters({ ...filters, [name]: e.target.value })} />
    </label>
  );
  const select = (name: keyof typeof filters, label: string, options: string[]) => (
    <FilterSelect label={label} value={filters[name]} options={options} onChange={(v) => setFilters({ ...filters, [name]: v })} />
  );
  return (
    <section>
      <h1>Incidents</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        {select('status', 'Status', ['open', 'mitigating', 'resolved'])}
        {select('severity', 'Severity', ['low', 'medium', 'high', 'critical'])}
        {field('errorType', 'Error type')}
        {field('agentId', 'Agent')}
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {items === null && !error && <p className="muted">Loading…</p>}
      {items?.length === 0 && <p className="muted">No incidents match.</p>}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr><th>Incident</th><th>Severity</th><th>Status</th><th>Loop</th><th>Agent</th><th>Created</th></tr>
            </thead>
            <tbody>
              {items.map((i) => {
                const loop = loops[i.id];
                return (
                  <tr key={i.id}>
                    <td><Link to={`/incidents/${i.id}`}>{i.title || i.errorType}</Link><div className="muted small">{i.errorType}</div></td>
                    <td><Badge value={i.severity} /></td>
                    <td><Badge value={i.status} /></td>
                    <td><LoopCell id={i.id} live={loop} /></td>
                    <td>{i.agentId ?? '—'}</td>
                    <td>{fmtTime(i.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {cursor && <button onClick={more}>Load more</button>}
    </section>
  );
}

/** The row's loop: read once, then replaced by live updates from the tenant stream. */
function LoopCell({ id, live }: { id: string; live?: any }) {
  const read = useApi(live ? null : `/integration/loop/${id}`);
  const loop = live ?? read.data;
  if (!loop) return <span className="muted">{read.error ? 'no trace' : '…'}</span>;
  return <><Badge value={loop.state} /> {loop.stagesCompleted.length}/{loop.totalStages}</>;
}
