import { useState } from 'react';
import { api, qs } from '../api';
import { Badge, Link, Show, fmtTime, FilterSelect, useAction, useApi, useStream, useThrottled } from '../ui';

/** One run with its steps; a manual step waiting for an operator can be marked done or failed. */
export function RunSteps({ runId, canOperate }: { runId: string; canOperate: boolean }) {
  const run = useApi(`/runs/${runId}`);
  const act = useAction();
  const [note, setNote] = useState('');
  const refresh = useThrottled(run.reload, 500);
  // A failed or canceled run still has its rollback to run: it is over when its phase is `done`.
  useStream(run.data && run.data.phase !== 'done' ? '/integration/stream' : null, (d) => (d.runId ?? d.id) === runId && refresh(), ['run_progress']);
  const complete = (stepId: string, outcome: 'succeeded' | 'failed') =>
    act.run(async () => {
      await api(`/runs/${runId}/steps/${stepId}/complete`, { method: 'POST', body: { outcome, note: note || undefined } });
      run.reload();
    }, `step marked ${outcome}`);
  return (
    <Show r={run} feature="Recovery runs">
      {(r: any) => (
        <div className="run" data-testid="run">
          <div><Link to={`/runs/${r.id}`}>Run {r.id.slice(0, 8)}</Link> <Badge value={r.status} /> <span className="muted small">{fmtTime(r.createdAt)}</span></div>
          <ol className="steps">
            {(r.steps ?? []).map((s: any) => (
              <li key={s.id ?? s.stepId}>
                <Badge value={s.status ?? s.state} /> <strong>{s.name ?? s.stepId ?? s.id}</strong> <span className="muted small">{s.kind}</span>
                {s.instruction && <div className="small">{s.instruction}</div>}
                {s.error && <div className="error small">{s.error}</div>}
                {canOperate && (s.status ?? s.state) === 'awaiting_operator' && (
                  <div className="inline">
                    <label>Note <input value={note} onChange={(e) => setNote(e.target.value)} /></label>
                    <button disabled={act.busy} onClick={() => complete(s.id ?? s.stepId, 'succeeded')}>Mark done</button>
                    <button disabled={act.busy} onClick={() => complete(s.id ?? s.stepId, 'failed')}>Mark failed</button>
                  </div>
                )}
              </li>
            ))}
          </ol>
          {act.note}
        </div>
      )}
    </Show>
  );
}

export function Runs({ canOperate, id }: { canOperate: boolean; id?: string }) {
  const [status, setStatus] = useState('');
  const runs = useApi(id ? null : `/runs${qs({ status })}`);
  useStream('/integration/stream', useThrottled(runs.reload, 2000), ['loop_progress', 'run_progress']);
  if (id) return <section><h1>Run</h1><RunSteps runId={id} canOperate={canOperate} /></section>;
  return (
    <section>
      <h1>Runs</h1>
      <FilterSelect label="Status" value={status} onChange={setStatus} options={['queued', 'running', 'awaiting_operator', 'awaiting_patch', 'verifying', 'succeeded', 'failed', 'rolled_back', 'rollback_failed', 'canceled']} />
      <Show r={runs} feature="Recovery runs" empty={(d: any) => d.items.length === 0}>
        {(d: any) => (
          <div className="table-wrap">
            <table>
              <thead><tr><th>Run</th><th>Status</th><th>Incident</th><th>Created</th></tr></thead>
              <tbody>
                {d.items.map((r: any) => (
                  <tr key={r.id}>
                    <td><Link to={`/runs/${r.id}`}>{r.id.slice(0, 8)}</Link></td>
                    <td><Badge value={r.status} /></td>
                    <td>{r.incidentId ? <Link to={`/incidents/${r.incidentId}`}>{r.incidentId.slice(0, 8)}</Link> : '—'}</td>
                    <td>{fmtTime(r.createdAt)}</td>
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
