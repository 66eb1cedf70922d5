import { Link } from 'wouter';
import type { AdjustmentPage, AgentDetail, AgentList } from '../api/client';
import { Show, isNotFound, useApi } from '../components/data';
import { Badge, Time } from '../components/format';
import { NotFound } from '../components/not-found';

/** One agent (the deep link /routing/:agentId): its confidence and how recovery runs moved its trust. */
function AgentPanel({ agentId }: { agentId: string }) {
  const agent = useApi<AgentDetail>(`/routing/agents/${encodeURIComponent(agentId)}`);
  if (isNotFound(agent.error)) return <NotFound what="agent" id={agentId} />;
  return (
    <section className="card" aria-labelledby="agent-h" data-testid="agent-panel" data-agent={agentId}>
      <h2 id="agent-h">Agent {agentId}</h2>
      <Show r={agent}>
        {(a) => (
          <>
            <dl className="kv">
              <dt>Base confidence</dt>
              <dd>{a.baseConfidence.toFixed(2)}</dd>
              <dt>Effective</dt>
              <dd data-testid="agent-effective">{a.effectiveConfidence.toFixed(2)}</dd>
              <dt>By capability</dt>
              <dd>
                {Object.entries(a.effectiveConfidenceByCapability ?? {})
                  .map(([c, v]) => `${c}: ${v.toFixed(2)}`)
                  .join(', ') || '—'}
              </dd>
              <dt>Incidents</dt>
              <dd>
                <Link href={`/incidents?agentId=${encodeURIComponent(agentId)}`}>this agent's incidents</Link> ·{' '}
                <Link href={`/runs?agentId=${encodeURIComponent(agentId)}`}>its runs</Link>
              </dd>
            </dl>
            <h3>Trust history</h3>
            {(a.trustHistory ?? []).length === 0 ? (
              <p className="muted">No run has moved its trust yet.</p>
            ) : (
              <ul>
                {(a.trustHistory ?? []).map((t, i) => (
                  <li key={i}>
                    <Time at={t.at} /> {t.capability ?? 'all capabilities'}: {t.reason}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Show>
    </section>
  );
}

export function Routing({ agentId }: { agentId?: string }) {
  const agents = useApi<AgentList>('/routing/agents');
  const adjustments = useApi<AdjustmentPage>(
    `/routing/adjustments?limit=100${agentId ? `&agentId=${encodeURIComponent(agentId)}` : ''}`,
  );
  return (
    <section>
      <h1>Routing</h1>
      {agentId && <AgentPanel key={agentId} agentId={agentId} />}
      <h2>Agents</h2>
      <Show r={agents} empty={(d) => d.items.length === 0}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Base</th>
                  <th scope="col">Effective</th>
                  <th scope="col">By capability (effective)</th>
                  <th scope="col">Active adjustments</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.agentId} className={a.agentId === agentId ? 'selected' : undefined}>
                    <td>
                      <Link
                        href={`/routing/${encodeURIComponent(a.agentId)}`}
                        aria-current={a.agentId === agentId ? 'true' : undefined}
                      >
                        {a.agentId}
                      </Link>
                    </td>
                    <td>{a.baseConfidence.toFixed(2)}</td>
                    <td>{a.effectiveConfidence.toFixed(2)}</td>
                    <td>
                      {Object.entries(a.effectiveConfidenceByCapability ?? {}).map(([c, v]) => (
                        <div key={c}>
                          {c}: {v.toFixed(2)}
                        </div>
                      ))}
                    </td>
                    <td>{a.activeAdjustments}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      <h2>Adjustments{agentId ? ` of ${agentId}` : ''}</h2>
      <Show r={adjustments} empty={(d) => d.items.length === 0}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Capability</th>
                  <th scope="col">Type</th>
                  <th scope="col">Magnitude</th>
                  <th scope="col">Active</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.id}>
                    <td>{a.agentId}</td>
                    <td>{a.capability ?? 'all'}</td>
                    <td>{a.adjustmentType}</td>
                    <td>{a.magnitude}</td>
                    <td>
                      <Badge value={a.isActive ? 'active' : a.expired ? 'expired' : 'inactive'} />
                    </td>
                    <td>
                      <Time at={a.expiresAt} />
                    </td>
                    <td className="small">{a.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </section>
  );
}
