import { useState } from 'react';
import { Badge, Show, fmtTime, useApi } from '../ui';

export function Routing() {
  const agents = useApi('/routing/agents');
  const adjustments = useApi('/routing/adjustments?limit=100');
  // Trust history (§9) is kept per agent: GET /routing/agents/:id of the agent picked below.
  const [picked, setPicked] = useState<string | null>(null);
  const trust = useApi(picked === null ? null : `/routing/agents/${encodeURIComponent(picked)}`);
  return (
    <section>
      <h1>Routing</h1>
      <h2>Agents</h2>
      <Show r={agents} empty={(d: any) => d.items.length === 0}>
        {(d: any) => (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Agent</th><th>Base</th><th>Effective</th><th>By capability (effective)</th><th>Active adjustments</th></tr></thead>
              <tbody>
                {d.items.map((a: any) => (
                  <tr key={a.agentId}>
                    <td><button type="button" className="link" onClick={() => setPicked(a.agentId)} aria-label={`trust history of ${a.agentId}`}>{a.agentId}</button></td>
                    <td>{a.baseConfidence.toFixed(2)}</td>
                    <td>{a.effectiveConfidence.toFixed(2)}</td>
                    <td>{Object.entries(a.effectiveConfidenceByCapability ?? {}).map(([c, v]) => <div key={c}>{c}: {(v as number).toFixed(2)}</div>)}</td>
                    <td>{a.activeAdjustments}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      <h2>Adjustments</h2>
      <Show r={adjustments} empty={(d: any) => d.items.length === 0}>
        {(d: any) => (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Agent</th><th>Capability</th><th>Type</th><th>Magnitude</th><th>Active</th><th>Expires</th><th>Reason</th></tr></thead>
              <tbody>
                {d.items.map((a: any) => (
                  <tr key={a.id}>
                    <td>{a.agentId}</td><td>{a.capability ?? 'all'}</td><td>{a.adjustmentType}</td><td>{a.magnitude}</td>
                    <td><Badge value={a.isActive ? 'active' : 'inactive'} /></td><td>{fmtTime(a.expiresAt)}</td><td className="small">{a.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      <h2>Trust history{picked === null ? '' : ` of ${picked}`}</h2>
      {picked === null ? (
        <p className="muted">Pick an agent above to see how recovery runs moved its trust.</p>
      ) : (
        <Show r={trust} feature="Trust history" empty={(d: any) => (d.trustHistory ?? []).length === 0}>
          {(d: any) => <ul>{d.trustHistory.map((t: any, i: number) => <li key={i}>{fmtTime(t.at)} {t.capability ?? 'all capabilities'}: {t.reason}</li>)}</ul>}
        </Show>
      )}
    </section>
  );
}
