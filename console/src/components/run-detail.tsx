import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api, type Run, type RunTransition, type Step } from '../api/client';
import { CanaryTable } from './canary-table';
import { Show, isNotFound, useAction, useApi, useLiveReload, useNow } from './data';
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

/** Time left until `until` (m:ss, or h:mm:ss), then `over`; the instant itself beside it. */
function Countdown({
  until,
  over = 'window closed',
  testId = 'watch-countdown',
}: {
  until: string;
  over?: string;
  testId?: string;
}) {
  const now = useNow();
  const left = Date.parse(until) - now;
  const h = Math.floor(left / 3_600_000);
  const m = Math.floor((left % 3_600_000) / 60_000);
  const ss = String(Math.floor((left % 60_000) / 1000)).padStart(2, '0');
  return (
    <span data-testid={testId}>
      {left > 0 ? `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${ss} left` : over} (until <Time at={until} />)
    </span>
  );
}

/** A step that waits for a person (or a coding agent's work order) until its deadline. */
const waitsForSomeone = (s: Step) => s.status === 'awaiting_operator' || (s.status === 'running' && !!s.workOrderId);

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
      {step.deadlineAt && waitsForSomeone(step) && (
        <div className="small" data-testid="step-deadline">
          Answer by: <Countdown until={step.deadlineAt} over="time is up" testId="step-countdown" />
          {rollback ? ' — then this rollback step times out.' : ' — then the run stops, canceled (nobody answered).'}
        </div>
      )}
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
  // run_progress on the tab's shared tenant stream; until the run is over (its rollback included).
  useLiveReload(run.reload, ['run_progress'], {
    ms: 400,
    path: run.data && run.data.phase !== 'done' ? '/integration/stream' : null,
    matches: (d) => {
      const e = d as { runId?: string; id?: string } | null;
      return (e?.runId ?? e?.id) === runId;
    },
  });
  // The button pressed is often gone once the run is read again (Mark done, Retry, Skip, Roll back):
  // focus then moves to the run's headline, which says where the run stands now, not to the page.
  const headline = useRef<HTMLParagraphElement>(null);
  const refocusAfter = useRef<Run | null | undefined>(undefined);
  useEffect(() => {
    if (refocusAfter.current === undefined || act.busy) return;
    const focused = document.activeElement;
    if (focused === null || focused === document.body) headline.current?.focus();
    if (run.data !== refocusAfter.current) refocusAfter.current = undefined;
  }, [run.data, act.busy]);
  // The run is read again after an action, accepted or refused: a refusal (409) means the page is
  // behind (someone else acted), and its buttons must not stay as they were.
  const post = (path: string, body: object, done: string) =>
    act.run(async () => {
      refocusAfter.current = run.data;
      try {
        await api(path, { method: 'POST', body });
      } finally {
        run.reload();
      }
    }, done);
  const complete = (stepId: string) => (outcome: 'succeeded' | 'failed', note: string) =>
    post(`/runs/${runId}/steps/${stepId}/complete`, { outcome, note: note || undefined }, `step marked ${outcome}`);
  const choose = post;
  const cancel = () => post(`/runs/${runId}/cancel`, {}, 'cancel requested');
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
            <p className="run-why" data-testid="run-why" tabIndex={-1} ref={headline}>
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
              {(r.phase === 'steps' || r.phase === 'verify') && (
                <>
                  <dt>Deadline</dt>
                  <dd data-testid="run-deadline">
                    <Countdown until={r.deadlineAt} over="passed" testId="run-countdown" /> — the run times out if its
                    steps and checks are not through by then
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
                skipRefusal={r.skipRefusalReason}
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
