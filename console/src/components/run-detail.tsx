import { useState } from 'react';
import { Link } from 'wouter';
import { api, type Run, type RunTransition, type Step } from '../api/client';
import { RECONNECTED } from '../api/stream';
import { CanaryTable } from './canary-table';
import { Show, isNotFound, useAction, useApi, useNow, useStream, useThrottled } from './data';
import { Badge, IdTag, Time, fmtMs, shortenIds } from './format';
import { NotFound } from './not-found';
import { PHASE_LABELS, runHeadline } from './run-explain';

const LISTS: Array<{ list: Step['list']; title: string }> = [
  { list: 'steps', title: 'Steps' },
  { list: 'verify', title: 'Verification checks' },
  { list: 'rollback', title: 'Rollback' },
];

const duration = (s: Step) =>
  s.startedAt && s.finishedAt
    ? fmtMs(Date.parse(s.finishedAt) - Date.parse(s.startedAt))
    : s.startedAt
      ? 'running'
      : '—';

function Countdown({ until }: { until: string }) {
  const now = useNow();
  const left = Date.parse(until) - now;
  return (
    <span data-testid="watch-countdown">
      {left > 0
        ? `${Math.floor(left / 60_000)}:${String(Math.floor((left % 60_000) / 1000)).padStart(2, '0')} left`
        : 'window closed'}{' '}
      (until <Time at={until} />)
    </span>
  );
}

/** One step in the timeline: what it is, how it went, its output and error (collapsible), its transitions. */
function StepItem({
  step,
  n,
  transitions,
  rollback,
  onComplete,
  busy,
}: {
  step: Step;
  n: number;
  transitions: RunTransition[];
  rollback: boolean;
  onComplete?: (outcome: 'succeeded' | 'failed', note: string) => void;
  busy: boolean;
}) {
  const [note, setNote] = useState('');
  const hasOutput = step.output !== null && step.output !== undefined;
  return (
    <li
      className={`step s-${step.status}${rollback ? ' rollback' : ''}`}
      data-step={step.id}
      data-list={step.list}
      data-status={step.status}
    >
      <div className="step-head">
        <span className="step-n">{n}.</span>
        {rollback && <Badge value="rollback" />} <strong>{step.id.replace(/_/g, ' ')}</strong>{' '}
        <Badge value={step.status} />{' '}
        <span className="muted small">
          {step.runsAs === step.kind ? step.kind : `${step.kind} → run as ${step.runsAs}`}
          {step.actuator ? ` · actuator ${step.actuator}` : ''}
          {step.attempts > 0 ? ` · attempt ${step.attempts}/${step.maxAttempts}` : ''} · {duration(step)}
        </span>
      </div>
      <div className="small">{step.instruction}</div>
      {step.error && <div className="error small">Error: {shortenIds(step.error)}</div>}
      {step.canary && <CanaryTable canary={step.canary} />}
      {step.workOrderId && (
        <div className="small">
          Work order <Link href={`/work-orders/${step.workOrderId}`}>open</Link>{' '}
          <IdTag id={step.workOrderId} label="work order id" />
        </div>
      )}
      {(hasOutput || transitions.length > 0) && (
        <details className="small">
          <summary>Output and transitions</summary>
          {hasOutput && <pre className="output">{JSON.stringify(step.output, null, 2)}</pre>}
          <ol className="plain">
            {transitions.map((t, i) => (
              <li key={i}>
                <Time at={t.at} /> {t.from ?? '—'} → {t.to}
                {t.attempt ? ` (attempt ${t.attempt})` : ''}
                {t.note ? `: ${shortenIds(t.note)}` : ''}
                {t.error ? <span className="error"> {shortenIds(t.error)}</span> : null}
              </li>
            ))}
          </ol>
        </details>
      )}
      {onComplete && step.status === 'awaiting_operator' && (
        <div className="inline">
          <label>
            Note <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button disabled={busy} onClick={() => onComplete('succeeded', note)}>
            Mark done
          </button>
          <button disabled={busy} className="secondary" onClick={() => onComplete('failed', note)}>
            Mark failed
          </button>
        </div>
      )}
    </li>
  );
}

/**
 * A run paused on a failed step (DESIGN §13): retry it (corrected parameters optional), skip it, or roll back.
 * Skip is not offered where the server would refuse it (`skipRefusal`: a failed verification check, ADR 0014).
 */
function PausedChoice({
  step,
  skipRefusal,
  busy,
  onRetry,
  onSkip,
  onRollback,
}: {
  step: Step;
  skipRefusal: string | null;
  busy: boolean;
  onRetry: (params: Record<string, unknown> | null) => void;
  onSkip: () => void;
  onRollback: () => void;
}) {
  const corrigible = Object.fromEntries(Object.entries(step.params).filter(([k]) => k !== 'action'));
  const [text, setText] = useState(JSON.stringify(corrigible, null, 2));
  const [invalid, setInvalid] = useState<string | null>(null);
  const retry = () => {
    try {
      const parsed: unknown = JSON.parse(text || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('a JSON object');
      const changed = Object.fromEntries(
        Object.entries(parsed).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(corrigible[k])),
      );
      setInvalid(null);
      onRetry(Object.keys(changed).length > 0 ? changed : null);
    } catch {
      setInvalid('The parameters must be a JSON object.');
    }
  };
  return (
    <section className="card paused" data-testid="paused-choice" aria-label="Paused on a failed step">
      <p>
        <strong>Step “{step.id.replace(/_/g, ' ')}” failed</strong>
        {step.error ? `: ${shortenIds(step.error)}` : ''}. Nothing has been undone yet.
      </p>
      <label className="block">
        Parameters for a retry (change what was wrong)
        <textarea rows={4} value={text} onChange={(e) => setText(e.target.value)} data-testid="retry-params" />
      </label>
      {invalid && (
        <p className="error" role="alert">
          {invalid}
        </p>
      )}
      <div className="inline">
        <button disabled={busy} onClick={retry}>
          Retry step
        </button>
        {skipRefusal === null && (
          <button disabled={busy} className="secondary" onClick={onSkip}>
            Skip step
          </button>
        )}
        <button disabled={busy} className="danger" onClick={onRollback}>
          Roll back
        </button>
      </div>
      {skipRefusal !== null && (
        <p className="muted small" data-testid="skip-refusal">
          No skip: {shortenIds(skipRefusal)}
        </p>
      )}
    </section>
  );
}

/** A run an SRE can trust: status, phase and why, the step timeline (rollback apart), the watch window, its links, Cancel; live. */
export function RunDetail({
  runId,
  canOperate,
  headingLevel = 2,
}: {
  runId: string;
  canOperate: boolean;
  headingLevel?: 1 | 2;
}) {
  const run = useApi<Run>(`/runs/${runId}`);
  const act = useAction();
  const refresh = useThrottled(run.reload, 400);
  // run_progress on the tab's shared tenant stream; until the run is over (its rollback included).
  useStream(
    run.data && run.data.phase !== 'done' ? '/integration/stream' : null,
    (d, event) => {
      const e = d as { runId?: string; id?: string } | null;
      if (event === RECONNECTED || (e?.runId ?? e?.id) === runId) refresh();
    },
    ['run_progress', RECONNECTED],
  );
  const complete = (stepId: string) => (outcome: 'succeeded' | 'failed', note: string) =>
    act.run(async () => {
      await api(`/runs/${runId}/steps/${stepId}/complete`, {
        method: 'POST',
        body: { outcome, note: note || undefined },
      });
      run.reload();
    }, `step marked ${outcome}`);
  const choose = (path: string, body: object, done: string) =>
    act.run(async () => {
      await api(path, { method: 'POST', body });
      run.reload();
    }, done);
  const cancel = () =>
    act.run(async () => {
      await api(`/runs/${runId}/cancel`, { method: 'POST', body: {} });
      run.reload();
    }, 'cancel requested');
  const H = headingLevel === 1 ? 'h1' : 'h3';
  if (isNotFound(run.error)) return <NotFound what="run" id={runId} />;
  return (
    <Show r={run}>
      {(r) => {
        const steps = r.steps ?? [];
        const transitions = r.transitions ?? [];
        const rolledBack = steps.some((s) => s.list === 'rollback' && s.status !== 'pending');
        return (
          <article className="run card" data-testid="run" data-run={r.id} data-status={r.status}>
            <H className="run-title">
              {r.playbookName ?? r.playbookId} <Badge value={r.status} /> <IdTag id={r.id} label="run id" />
            </H>
            <p className="run-why" data-testid="run-why">
              {runHeadline(r, steps)}
            </p>
            <dl className="kv small">
              <dt>Phase</dt>
              <dd data-testid="run-phase">{PHASE_LABELS[r.phase]}</dd>
              {r.reason && (
                <>
                  <dt>Reason</dt>
                  <dd data-testid="run-reason">{shortenIds(r.reason)}</dd>
                </>
              )}
              {r.phase === 'watch' && r.verifyUntil && (
                <>
                  <dt>Watch window</dt>
                  <dd>
                    <Countdown until={r.verifyUntil} />
                  </dd>
                </>
              )}
              <dt>Started</dt>
              <dd>
                <Time at={r.startedAt ?? r.createdAt} /> by {r.automatic ? 'auto-apply' : shortenIds(r.startedBy)}
              </dd>
              <dt>Finished</dt>
              <dd>
                <Time at={r.finishedAt} />
              </dd>
              <dt>Incident</dt>
              <dd>
                {r.incidentId ? <Link href={`/incidents/${r.incidentId}`}>{r.incidentTitle ?? 'incident'}</Link> : '—'}
              </dd>
              <dt>Recovery</dt>
              <dd>
                {r.recoveryId ? (
                  <Link href={`/recoveries/${r.recoveryId}`}>suggestion and review</Link>
                ) : (
                  'none (started directly)'
                )}
              </dd>
              <dt>Pattern</dt>
              <dd>
                {r.patternId ? <Link href={`/patterns/${r.patternId}`}>{r.patternTemplate ?? 'pattern'}</Link> : '—'}
              </dd>
              <dt>Agent</dt>
              <dd>
                {r.agentId ? <Link href={`/routing/${encodeURIComponent(r.agentId)}`}>{r.agentId}</Link> : '—'}
                {r.capability ? ` · ${r.capability}` : ''}
              </dd>
              {r.workOrderId && (
                <>
                  <dt>Work order</dt>
                  <dd>
                    <Link href={`/work-orders/${r.workOrderId}`}>open</Link>
                  </dd>
                </>
              )}
            </dl>
            {canOperate && r.pausedOnStep && steps.some((s) => s.id === r.pausedOnStep) && (
              <PausedChoice
                key={r.pausedOnStep}
                step={steps.find((s) => s.id === r.pausedOnStep)!}
                skipRefusal={r.skipRefusal}
                busy={act.busy}
                onRetry={(params) =>
                  choose(`/runs/${runId}/steps/${r.pausedOnStep}/retry`, params ? { params } : {}, 'step retried')
                }
                onSkip={() => choose(`/runs/${runId}/steps/${r.pausedOnStep}/skip`, {}, 'step skipped')}
                onRollback={() => choose(`/runs/${runId}/rollback`, {}, 'rollback requested')}
              />
            )}
            {canOperate && r.cancelable && (
              <p>
                <button className="danger" disabled={act.busy} onClick={cancel}>
                  Cancel run
                </button>
              </p>
            )}
            {LISTS.map(({ list, title }) => {
              const mine = steps.filter((s) => s.list === list);
              if (mine.length === 0) return null;
              const rollback = list === 'rollback';
              return (
                <section key={list} className={`step-list${rollback ? ' rollback-list' : ''}`} data-list={list}>
                  <h4>
                    {title}
                    {rollback && !rolledBack && <span className="muted small"> — runs only if the run fails</span>}
                  </h4>
                  <ol className="steps plain">
                    {mine.map((s, i) => (
                      <StepItem
                        key={s.id}
                        step={s}
                        n={i + 1}
                        rollback={rollback}
                        transitions={transitions.filter((t) => t.stepId === s.id)}
                        onComplete={canOperate ? complete(s.id) : undefined}
                        busy={act.busy}
                      />
                    ))}
                  </ol>
                </section>
              );
            })}
            {act.note}
          </article>
        );
      }}
    </Show>
  );
}
