import { useState } from 'react';
import { api } from '../api';
import { Badge, Link, Show, fmtTime, useAction, useApi, useStream, useThrottled } from '../ui';

/** Approval answers with the recovery (status applied) until runs exist, then with its run. */
const RECOVERY_STATES = ['pending_review', 'applied', 'rejected', 'expired'];

function ReviewItem({ r, onDone, canOperate }: { r: any; onDone: () => void; canOperate: boolean }) {
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<any>(null);
  const act = useAction();
  const decide = (verb: 'approve' | 'reject') =>
    act.run(async () => {
      // Approving answers with the recovery (or, with runs on the server, its run).
      setResult(await api(`/recoveries/${r.id}/${verb}`, { method: 'POST', body: { note: reason || undefined } }));
      onDone();
    });
  return (
    <li className="card" data-testid="review-item" data-recovery={r.id}>
      <div><strong>{r.action}</strong> <Badge value={r.status} /> <span className="muted small">{r.suggestionType} · confidence {r.confidence} · {fmtTime(r.createdAt)}</span></div>
      <div className="small">Incident <Link to={`/incidents/${r.incidentId}`}>{r.incidentId.slice(0, 8)}</Link></div>
      {r.decision && <div className="small" data-testid="review-why">Why: {r.decision.reason}</div>}
      {Array.isArray(r.steps) && <ol className="small">{r.steps.map((s: any, i: number) => <li key={i}>{typeof s === 'string' ? s : s.name ?? s.instruction ?? JSON.stringify(s)}</li>)}</ol>}
      {canOperate && !result && (
        <div className="inline">
          <label>Reason <input value={reason} onChange={(e) => setReason(e.target.value)} /></label>
          <button disabled={act.busy} onClick={() => decide('approve')}>Approve</button>
          <button disabled={act.busy} onClick={() => decide('reject')}>Reject</button>
        </div>
      )}
      {result && (
        <p className="ok" role="status" data-testid="review-result">
          {RECOVERY_STATES.includes(result.status) ? <>Now <Badge value={result.status} /></> : <>Run <Link to={`/runs/${result.id}`}>{result.id.slice(0, 8)}</Link> <Badge value={result.status} /></>}
        </p>
      )}
      {act.note}
    </li>
  );
}

export function Review({ canOperate }: { canOperate: boolean }) {
  const pending = useApi('/recoveries?status=pending_review');
  useStream('/integration/stream', useThrottled(pending.reload, 2000));
  return (
    <section>
      <h1>Review queue</h1>
      <Show r={pending} empty={(d: any) => d.items.length === 0}>
        {(d: any) => <ul className="plain">{d.items.map((r: any) => <ReviewItem key={r.id} r={r} canOperate={canOperate} onDone={() => {}} />)}</ul>}
      </Show>
    </section>
  );
}
