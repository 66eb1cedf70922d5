import { Link } from 'wouter';
import { qs, type IncidentPage, type PolicyPage } from '../api/client';
import type { Pattern } from '../api/untyped-routes';
import { Show, isNotFound, useApi } from '../components/data';
import { IdTag, Time } from '../components/format';
import { NotFound, isUuid } from '../components/not-found';

/** A failure pattern, its recovery template and the incidents that matched it. */
export function PatternPage({ id }: { id: string }) {
  const valid = isUuid(id);
  const pattern = useApi<Pattern>(valid ? `/catalog/patterns/${id}` : null);
  const incidents = useApi<IncidentPage>(pattern.data ? `/incidents${qs({ matchedPatternId: id, limit: 20 })}` : null);
  const policies = useApi<PolicyPage>(pattern.data ? `/policies${qs({ sourcePatternId: id })}` : null);
  if (!valid || isNotFound(pattern.error)) return <NotFound what="pattern" id={id} />;
  return (
    <section>
      <Show r={pattern}>
        {(p) => (
          <>
            <h1>
              Pattern <code>{p.errorType}</code> <IdTag id={p.id} label="pattern id" />
            </h1>
            <dl className="kv">
              <dt>Template</dt>
              <dd>
                <code>{p.template}</code>
              </dd>
              <dt>Occurrences</dt>
              <dd>{p.occurrenceCount}</dd>
              <dt>Agents</dt>
              <dd>
                {p.affectedAgents.length === 0
                  ? '—'
                  : p.affectedAgents.map((a, i) => (
                      <span key={a}>
                        {i > 0 ? ', ' : ''}
                        <Link href={`/routing/${encodeURIComponent(a)}`}>{a}</Link>
                      </span>
                    ))}
              </dd>
              <dt>Recovery template</dt>
              <dd>
                {p.recoveryTemplate ? (
                  <code>{JSON.stringify(p.recoveryTemplate)}</code>
                ) : (
                  'none (generated from the playbooks)'
                )}
              </dd>
              <dt>Auto-apply</dt>
              <dd>{p.autoApplyRecovery ? 'yes' : 'no'}</dd>
              <dt>Last seen</dt>
              <dd>
                <Time at={p.lastSeenAt} />
              </dd>
            </dl>
          </>
        )}
      </Show>
      <h2>Policy</h2>
      <Show r={policies} empty={(d) => d.items.length === 0}>
        {(d) => (
          <ul>
            {d.items.map((p) => (
              <li key={p.id}>
                <Link href={`/policies/${p.id}`}>{p.name}</Link> ({p.status})
              </li>
            ))}
          </ul>
        )}
      </Show>
      <h2>Incidents</h2>
      <Show r={incidents} empty={(d) => d.items.length === 0}>
        {(d) => (
          <ul>
            {d.items.map((i) => (
              <li key={i.id}>
                <Link href={`/incidents/${i.id}`}>{i.title || i.errorType}</Link>{' '}
                <IdTag id={i.id} label="incident id" /> <Time at={i.createdAt} />
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}
