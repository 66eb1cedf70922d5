import { useState } from 'react';
import { STAGES, STAGE_LABELS, api, qs } from '../api';
import { Badge, Link, Show, fmtMs, fmtTime, useAction, useApi, useStream } from '../ui';
import { RunSteps } from './runs';

/** The five-stage loop, live: each SSE loop_progress replaces the status and refreshes the stage details. */
export function LoopProgress({ incidentId, onUpdate }: { incidentId: string; onUpdate?: () => void }) {
  const status = useApi(`/integration/loop/${incidentId}`);
  const stages = useApi<any[]>(`/integration/loop/${incidentId}/stages`);
  const [live, setLive] = useState<any>(null);
  const current = live ?? status.data;
  useStream(current?.isComplete ? null : `/integration/loop/${incidentId}/stream`, (s) => {
    setLive(s);
    stages.reload();
    onUpdate?.();
  });
  const byStage = Object.fromEntries((stages.data ?? []).map((s) => [s.stage, s]));
  return (
    <section aria-labelledby="loop-h" className="card">
      <h2 id="loop-h">
        Loop progress{' '}
        {current && <span data-testid="loop-count">{current.stagesCompleted.length}/{current.totalStages}</span>}{' '}
        {current && <Badge value={current.state} />}
      </h2>
      {status.error && <p className="error" role="alert">{status.error.message}</p>}
      <ol className="loop">
        {STAGES.map((stage) => {
          const d = byStage[stage];
          const st = d?.status ?? (current?.stagesCompleted.includes(stage) ? 'completed' : 'pending');
          return (
            <li key={stage} className={`stage s-${st}`} data-stage={stage} data-status={st}>
              <div className="stage-name">{STAGE_LABELS[stage]}</div>
              <Badge value={st} />
              <div className="muted small">{d?.durationMs != null ? fmtMs(d.durationMs) : ''}{d?.attempts > 1 ? ` · ${d.attempts} attempts` : ''}</div>
              {d?.error && <div className="error small">{d.error}</div>}
              {d?.details && Object.keys(d.details).length > 0 && (
                <dl className="details small">
                  {Object.entries(d.details).slice(0, 4).map(([k, v]) => (
                    <div key={k}><dt>{k}</dt><dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></div>
                  ))}
                </dl>
              )}
            </li>
          );
        })}
      </ol>
      {current?.durationMs != null && <p className="muted small">Completed in {fmtMs(current.durationMs)}</p>}
    </section>
  );
}

export function IncidentPage({ id, canOperate }: { id: string; canOperate: boolean }) {
  const incident = useApi(`/incidents/${id}`);
  const timeline = useApi(`/incidents/${id}/timeline`);
  const recoveries = useApi(`/recoveries${qs({ incidentId: id })}`);
  const runs = useApi(`/runs${qs({ incidentId: id })}`);
  const act = useAction();
  // One stream per page: the loop progress passes its updates on.
  const refresh = () => {
    incident.reload();
    recoveries.reload();
    timeline.reload();
    runs.reload();
  };
  const lifecycle = (verb: 'acknowledge' | 'resolve') =>
    act.run(async () => {
      await api(`/incidents/${id}/${verb}`, { method: 'POST', body: {} });
      incident.reload();
    }, `${verb}d`);
  return (
    <section>
      <Show r={incident}>
        {(i: any) => (
          <>
            <h1>{i.title || i.errorType}</h1>
            <p>
              <Badge value={i.severity} /> <Badge value={i.status} /> <span className="muted">{i.errorType} · agent {i.agentId ?? '—'} · capability {i.capability ?? '—'} · occurred {fmtTime(i.occurredAt)}</span>
            </p>
            <p className="message">{i.message}</p>
            <p className="actions">
              {i.matchedPatternId && <span><Link to={`/patterns/${i.matchedPatternId}`}>Pattern</Link> · </span>}
              {timeline.data?.policyId && <span><Link to={`/policies/${timeline.data.policyId}`}>Policy</Link> · </span>}
              <a href={`/incidents/${id}/evidence?format=json`} download>Evidence (JSON)</a> · <a href={`/incidents/${id}/evidence?format=md`} download>Evidence (Markdown)</a>
            </p>
            {canOperate && (
              <p className="actions">
                <button disabled={act.busy || !!i.acknowledgedAt} onClick={() => lifecycle('acknowledge')}>Acknowledge</button>{' '}
                <button disabled={act.busy || i.status === 'resolved'} onClick={() => lifecycle('resolve')}>Resolve</button>
              </p>
            )}
            {act.note}
          </>
        )}
      </Show>
      <LoopProgress incidentId={id} onUpdate={refresh} />
      <section className="card" aria-labelledby="rec-h">
        <h2 id="rec-h">Recovery</h2>
        <Show r={recoveries} empty={(d: any) => d.items.length === 0}>
          {(d: any) => d.items.map((r: any) => (
            <div key={r.id} data-testid="recovery"><Badge value={r.status} /> {r.action} <span className="muted small">{r.suggestionType}</span> <span className="muted small">confidence {r.confidence}</span>{r.decision && <div className="small muted">{r.decision.reason}</div>}</div>
          ))}
        </Show>
        <h3>Runs</h3>
        <Show r={runs} feature="Recovery runs" empty={(d: any) => d.items.length === 0}>
          {(d: any) => d.items.map((run: any) => <RunSteps key={run.id} runId={run.id} canOperate={canOperate} />)}
        </Show>
      </section>
      <section className="card" aria-labelledby="tl-h">
        <h2 id="tl-h">Timeline</h2>
        <Show r={timeline} empty={(t: any) => t.items.length === 0}>
          {(t: any) => (
            <ol className="timeline">
              {t.items.map((e: any, n: number) => (
                <li key={n}><time>{fmtTime(e.at)}</time> <Badge value={e.kind} /> {e.summary}</li>
              ))}
            </ol>
          )}
        </Show>
      </section>
    </section>
  );
}
