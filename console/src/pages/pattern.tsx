import { qs } from '../api';
import { Link, Show, fmtTime, useApi } from '../ui';

/** A failure pattern, its recovery template and the incidents that matched it. */
export function PatternPage({ id }: { id: string }) {
  const pattern = useApi(`/catalog/patterns/${id}`);
  const incidents = useApi(`/incidents${qs({ matchedPatternId: id, limit: 20 })}`);
  const policies = useApi(`/policies${qs({ sourcePatternId: id })}`);
  return (
    <section>
      <Show r={pattern}>
        {(p: any) => (
          <>
            <h1>Pattern <code>{p.errorType}</code></h1>
            <dl className="kv">
              <dt>Template</dt><dd><code>{p.template}</code></dd>
              <dt>Occurrences</dt><dd>{p.occurrenceCount}</dd>
              <dt>Agents</dt><dd>{(p.affectedAgents ?? []).join(', ') || '—'}</dd>
              <dt>Recovery template</dt><dd>{p.recoveryTemplate ? <code>{JSON.stringify(p.recoveryTemplate)}</code> : 'none (generated from the playbooks)'}</dd>
              <dt>Auto-apply</dt><dd>{p.autoApplyRecovery ? 'yes' : 'no'}</dd>
              <dt>Last seen</dt><dd>{fmtTime(p.lastSeenAt)}</dd>
            </dl>
          </>
        )}
      </Show>
      <h2>Policy</h2>
      <Show r={policies} empty={(d: any) => d.items.length === 0}>
        {(d: any) => <ul>{d.items.map((p: any) => <li key={p.id}><Link to={`/policies/${p.id}`}>{p.name}</Link> ({p.status})</li>)}</ul>}
      </Show>
      <h2>Incidents</h2>
      <Show r={incidents} empty={(d: any) => d.items.length === 0}>
        {(d: any) => <ul>{d.items.map((i: any) => <li key={i.id}><Link to={`/incidents/${i.id}`}>{i.title || i.errorType}</Link> <span className="muted small">{fmtTime(i.createdAt)}</span></li>)}</ul>}
      </Show>
    </section>
  );
}
