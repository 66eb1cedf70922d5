import { Link } from 'wouter';
import { api, qs, type IncidentDetail, type RecoveryPage, type RunPage, type Timeline } from '../api/client';
import { RECONNECTED } from '../api/stream';
import { Show, isNotFound, useAction, useApi, useStream, useThrottled } from '../components/data';
import { Badge, IdTag, Time, shortenIds } from '../components/format';
import { LoopProgress } from '../components/loop-progress';
import { NotFound, isUuid } from '../components/not-found';
import { RunDetail } from '../components/run-detail';

/** Everything else on the page, asked for only once the incident exists. */
function IncidentBody({
  incident: i,
  canOperate,
  reload,
}: {
  incident: IncidentDetail;
  canOperate: boolean;
  reload: () => void;
}) {
  const timeline = useApi<Timeline>(`/incidents/${i.id}/timeline`);
  const recoveries = useApi<RecoveryPage>(`/recoveries${qs({ incidentId: i.id })}`);
  const runs = useApi<RunPage>(`/runs${qs({ incidentId: i.id })}`);
  const act = useAction();
  const refresh = () => {
    reload();
    recoveries.reload();
    timeline.reload();
    runs.reload();
  };
  // Live after the loop completed too (a recovery approved elsewhere, its runs, work orders), on the
  // tab's shared tenant stream filtered by this incident; the loop progress passes its updates on.
  const soon = useThrottled(refresh, 1000);
  const recoveriesSoon = useThrottled(recoveries.reload, 2000);
  useStream(
    '/integration/stream',
    (d, event) => {
      if (event === RECONNECTED) soon();
      // No event names the incident when a review is rejected or expires; the inbox count moves then.
      else if (event === 'inbox_changed') recoveriesSoon();
      else if ((d as { incidentId?: string | null }).incidentId === i.id) soon();
    },
    ['run_progress', 'work_order_progress', 'inbox_changed', RECONNECTED],
  );
  const lifecycle = (verb: 'acknowledge' | 'resolve') =>
    act.run(
      async () => {
        await api(`/incidents/${i.id}/${verb}`, { method: 'POST', body: {} });
        refresh();
      },
      verb === 'acknowledge' ? 'acknowledged' : 'resolved',
    );
  const resolved = i.status === 'resolved';
  return (
    <>
      <h1>
        {i.title || i.errorType} <IdTag id={i.id} label="incident id" />
      </h1>
      <p>
        <Badge value={i.severity} /> <Badge value={i.status} />{' '}
        <span className="muted">
          {i.errorType} · agent{' '}
          {i.agentId ? <Link href={`/routing/${encodeURIComponent(i.agentId)}`}>{i.agentId}</Link> : '—'} · capability{' '}
          {i.capability ?? '—'} · occurred <Time at={i.occurredAt} />
        </span>
      </p>
      <dl className="kv small">
        <dt>Source</dt>
        <dd data-testid="incident-source">
          {i.source}
          {i.fingerprint ? ` · alert fired ${i.repeatCount}× (last seen ` : ''}
          {i.fingerprint ? <Time at={i.lastSeenAt} /> : null}
          {i.fingerprint ? ')' : ''}
        </dd>
        <dt>Acknowledged</dt>
        <dd>
          {i.acknowledgedAt ? (
            <>
              by {shortenIds(i.acknowledgedBy ?? '')} at <Time at={i.acknowledgedAt} />
            </>
          ) : (
            'no'
          )}
        </dd>
        <dt>Resolved</dt>
        <dd>
          {i.resolvedAt ? (
            <>
              by {shortenIds(i.resolvedBy ?? '')} at <Time at={i.resolvedAt} />
            </>
          ) : (
            'no'
          )}
        </dd>
      </dl>
      <p className="message">{i.message}</p>
      <p className="actions">
        {i.matchedPatternId && <Link href={`/patterns/${i.matchedPatternId}`}>Pattern</Link>}
        {timeline.data?.policyId && <Link href={`/policies/${timeline.data.policyId}`}>Policy</Link>}
        <a href={`/incidents/${i.id}/evidence?format=json`} download>
          Evidence (JSON)
        </a>
        <a href={`/incidents/${i.id}/evidence?format=md`} download>
          Evidence (Markdown)
        </a>
      </p>
      {canOperate && (
        <p className="actions">
          <button
            disabled={act.busy || !!i.acknowledgedAt || resolved}
            title={resolved ? 'resolved: nothing to acknowledge' : undefined}
            onClick={() => lifecycle('acknowledge')}
          >
            Acknowledge
          </button>
          <button disabled={act.busy || resolved} onClick={() => lifecycle('resolve')}>
            Resolve
          </button>
        </p>
      )}
      {act.note}
      <LoopProgress incidentId={i.id} recovery={recoveries.data?.items[0] ?? null} onUpdate={soon} />
      <section className="card" aria-labelledby="rec-h" id="recovery">
        <h2 id="rec-h">Recovery</h2>
        <Show r={recoveries} empty={(d) => d.items.length === 0}>
          {(d) =>
            d.items.map((r) => (
              <p key={r.id} data-testid="recovery">
                <Link href={`/recoveries/${r.id}`}>{r.playbookName ?? r.action}</Link> <Badge value={r.status} />{' '}
                <span className="muted small">
                  {r.suggestionType} · confidence {r.confidence.toFixed(2)}
                  {r.decidedBy ? ` · ${r.status.replace(/_/g, ' ')} by ${shortenIds(r.decidedBy)}` : ''}
                </span>
                {r.decision && <span className="small"> — {r.decision.reason}</span>}
              </p>
            ))
          }
        </Show>
        <h3>Runs</h3>
        <Show r={runs} empty={(d) => d.items.length === 0}>
          {(d) => d.items.map((run) => <RunDetail key={run.id} runId={run.id} canOperate={canOperate} />)}
        </Show>
      </section>
      <section className="card" aria-labelledby="tl-h">
        <h2 id="tl-h">Timeline</h2>
        <Show r={timeline} empty={(t) => t.items.length === 0}>
          {(t) => (
            <ol className="timeline">
              {t.items.map((e, n) => (
                <li key={n}>
                  <Time at={e.at} /> <Badge value={e.kind} /> {shortenIds(e.summary)}
                </li>
              ))}
            </ol>
          )}
        </Show>
      </section>
    </>
  );
}

/** A missing or malformed id shows one "not found" after at most one request (none for a malformed one). */
export function IncidentPage({ id, canOperate }: { id: string; canOperate: boolean }) {
  const valid = isUuid(id);
  const incident = useApi<IncidentDetail>(valid ? `/incidents/${id}` : null);
  if (!valid || isNotFound(incident.error)) return <NotFound what="incident" id={id} />;
  return (
    <section>
      <Show r={incident}>{(i) => <IncidentBody incident={i} canOperate={canOperate} reload={incident.reload} />}</Show>
    </section>
  );
}
