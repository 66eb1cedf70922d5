import { useState } from 'react';
import { Badge, Link, Show, Stat, fmtTime, pct, useApi } from '../ui';

const TABS = ['workflow', 'runs', 'patches'] as const;

/** The seed's patch-tracking panel: the workflow in figures, runs waiting for a patch, the work orders. */
export function WorkOrders() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('workflow');
  const stats = useApi(tab === 'workflow' ? '/patches/stats' : null);
  const runs = useApi(tab === 'runs' ? '/patches/runs?status=awaiting_patch' : null);
  const orders = useApi(tab === 'patches' ? '/patches/work-orders' : null);
  return (
    <section>
      <h1>Work orders</h1>
      <div role="tablist" className="tabs">
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>{t[0].toUpperCase() + t.slice(1)}</button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'workflow' && (
          <Show r={stats} feature="Coding-agent work orders">
            {(s: any) => (
              <div className="stats">
                <Stat label="playbook runs" value={s.totalPlaybookRuns} />
                <Stat label="escalation rate" value={pct(s.escalationRate)} />
                <Stat label="auto-fix rate" value={pct(s.autoFixRate)} />
                <Stat label="avg patch time" value={`${s.averagePatchTimeMinutes ?? '—'} min`} />
                {Object.entries(s.workOrders ?? s.workOrdersByState ?? {}).map(([k, v]) => <Stat key={k} label={k.replace(/_/g, ' ')} value={String(v)} />)}
              </div>
            )}
          </Show>
        )}
        {tab === 'runs' && (
          <Show r={runs} feature="Coding-agent work orders" empty={(d: any) => d.items.length === 0}>
            {(d: any) => <ul className="plain">{d.items.map((r: any) => <li key={r.id}><Link to={`/runs/${r.id}`}>{r.id.slice(0, 8)}</Link> <Badge value={r.status} /></li>)}</ul>}
          </Show>
        )}
        {tab === 'patches' && (
          <Show r={orders} feature="Coding-agent work orders" empty={(d: any) => d.items.length === 0}>
            {(d: any) => (
              <div className="table-wrap">
                <table>
                  <thead><tr><th>Work order</th><th>State</th><th>Priority</th><th>Run</th><th>Created</th></tr></thead>
                  <tbody>
                    {d.items.map((w: any) => (
                      <tr key={w.id}>
                        <td>{w.description}</td>
                        <td><Badge value={w.status} /></td>
                        <td>{w.priority}</td>
                        <td>{w.runId ? <Link to={`/runs/${w.runId}`}>{w.runId.slice(0, 8)}</Link> : '—'}</td>
                        <td>{fmtTime(w.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Show>
        )}
      </div>
    </section>
  );
}
