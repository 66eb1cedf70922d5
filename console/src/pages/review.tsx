import { useState } from 'react';
import { Link } from 'wouter';
import { api, type ApprovedRun, type Recovery } from '../api/client';
import { Show, useAction, useLiveReload } from '../components/data';
import { Badge, IdTag, Time } from '../components/format';
import { LoadMore, usePaged } from '../components/paged';

/** One incident waiting on a recovery: approve (starts its run) or reject, with a reason. */
function Waiting({ r, canOperate, onDone }: { r: Recovery; canOperate: boolean; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [run, setRun] = useState<ApprovedRun | null>(null);
  const act = useAction();
  const decide = (verb: 'approve' | 'reject') =>
    act.run(async () => {
      const answer = await api<ApprovedRun | Recovery>(`/recoveries/${r.id}/${verb}`, {
        method: 'POST',
        body: { note: reason || undefined },
      });
      if (verb === 'approve') setRun(answer as ApprovedRun);
      else onDone();
    });
  return (
    <li className="waiting" data-testid="review-item" data-recovery={r.id} data-incident={r.incidentId}>
      <div>
        <Link href={`/incidents/${r.incidentId}`}>{r.incident?.title ?? 'incident'}</Link>{' '}
        <IdTag id={r.incidentId} label="incident id" />{' '}
        <span className="muted small">
          agent {r.agentId ?? '—'}
          {r.capability ? ` · ${r.capability}` : ''} · confidence {r.confidence.toFixed(2)} · suggested{' '}
          <Time at={r.createdAt} />
        </span>
      </div>
      {r.decision && (
        <div className="small" data-testid="review-why">
          {r.decision.reason}
        </div>
      )}
      {canOperate && !run && (
        <div className="inline">
          <label>
            Reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button disabled={act.busy} onClick={() => decide('approve')}>
            Approve
          </button>
          <button disabled={act.busy} className="secondary" onClick={() => decide('reject')}>
            Reject
          </button>
        </div>
      )}
      {run && (
        <p className="ok" role="status" data-testid="review-result">
          Run <Link href={`/runs/${run.id}`}>{run.playbookName ?? run.playbookId}</Link> <Badge value={run.status} />
        </p>
      )}
      {act.note}
    </li>
  );
}

/**
 * What waits for review, one card per pattern and playbook (not one per incident): the fix, the
 * pattern it answers, and every incident waiting on it. Recoveries of resolved incidents are not
 * here: the server supersedes them.
 */
export function Review({ canOperate }: { canOperate: boolean }) {
  const pending = usePaged<Recovery>('/recoveries?status=pending_review&limit=200');
  // A review decided elsewhere (another tab, the CLI) changes the inbox.
  useLiveReload(pending.reload, ['loop_progress', 'inbox_changed'], { ms: 2000 });
  return (
    <section>
      <h1>Review queue</h1>
      <Show r={pending} empty={(d) => d.length === 0}>
        {(d) => {
          const groups = new Map<string, Recovery[]>();
          for (const r of d)
            groups.set(`${r.patternId}|${r.playbookId}`, [...(groups.get(`${r.patternId}|${r.playbookId}`) ?? []), r]);
          return (
            <ul className="plain">
              {[...groups.values()].map((rs) => {
                const first = rs[0];
                return (
                  <li
                    key={`${first.patternId}|${first.playbookId}`}
                    className="card"
                    data-testid="review-group"
                    data-pattern={first.patternId}
                  >
                    <h2>
                      {first.playbookName ?? first.action}{' '}
                      <span className="muted small">
                        · {rs.length === 1 ? '1 incident waits' : `${rs.length} incidents wait`}
                        {pending.more ? ' (of those loaded)' : ''}
                      </span>
                    </h2>
                    <p className="small">
                      Pattern <Link href={`/patterns/${first.patternId}`}>{first.patternTemplate ?? 'pattern'}</Link> ·{' '}
                      {first.suggestionType}
                    </p>
                    {first.steps.length > 0 && (
                      <ol className="small">
                        {first.steps.map((s, i) => (
                          <li key={i}>{s}</li>
                        ))}
                      </ol>
                    )}
                    <ul className="plain">
                      {rs.map((r) => (
                        <Waiting key={r.id} r={r} canOperate={canOperate} onDone={pending.reload} />
                      ))}
                    </ul>
                  </li>
                );
              })}
            </ul>
          );
        }}
      </Show>
      {pending.more && <p className="muted small">More recoveries wait than are loaded here.</p>}
      <LoadMore paged={pending} />
    </section>
  );
}
