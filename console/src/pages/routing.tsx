import { Badge, Show, fmtTime, useApi } from '../ui';

export function Routing() {
  const agents = useApi('/routing/agents');
  const adjustments = useApi('/routing/adjustments?limit=100');
  // Trust history (§9) is recorded per agent once coding-agent runs exist.
  const trust = useApi('/routing/trust-history');
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
                    <td>{a.agentId}</td>
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
      <h2>Trust history</h2>
      <Show r={trust} feature="Trust history" empty={(d: any) => d.items.length === 0}>
        {(d: any) => <ul>{d.items.map((t: any, i: number) => <li key={i}>{fmtTime(t.at ?? t.createdAt)} {t.agentId} {t.capability}: {t.reason}</li>)}</ul>}
      </Show>
    </section>
  );
}
