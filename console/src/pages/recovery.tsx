import { Link } from 'wouter';
import { qs, type Recovery, type RunPage } from '../api/client';
import { Show, isNotFound, useApi } from '../components/data';
import { Badge, IdTag, Time, shortenIds } from '../components/format';
import { NotFound, isUuid } from '../components/not-found';

/** A recovery: the suggestion, how it was decided, and the run it started. */
export function RecoveryPage({ id }: { id: string }) {
  const valid = isUuid(id);
  const recovery = useApi<Recovery>(valid ? `/recoveries/${id}` : null);
  const runs = useApi<RunPage>(recovery.data ? `/runs${qs({ incidentId: recovery.data.incidentId })}` : null);
  if (!valid || isNotFound(recovery.error)) return <NotFound what="recovery" id={id} />;
  return (
    <section>
      <Show r={recovery}>
        {(r) => (
          <>
            <h1>
              {r.playbookName ?? r.action} <Badge value={r.status} /> <IdTag id={r.id} label="recovery id" />
            </h1>
            <dl className="kv">
              <dt>Incident</dt>
              <dd>
                <Link href={`/incidents/${r.incidentId}`}>{r.incident?.title ?? 'incident'}</Link>{' '}
                {r.incident && <Badge value={r.incident.status} />}
              </dd>
              <dt>Pattern</dt>
              <dd>
                <Link href={`/patterns/${r.patternId}`}>{r.patternTemplate ?? 'pattern'}</Link>
              </dd>
              <dt>Suggested</dt>
              <dd>
                <Time at={r.createdAt} /> · {r.suggestionType} · confidence {r.confidence.toFixed(2)}
              </dd>
              {r.decision && (
                <>
                  <dt>Why</dt>
                  <dd data-testid="recovery-why">{r.decision.reason}</dd>
                </>
              )}
              <dt>Decided</dt>
              <dd>
                {r.decidedAt ? (
                  <>
                    {r.status.replace(/_/g, ' ')} by {shortenIds(r.decidedBy ?? '')} at <Time at={r.decidedAt} />
                  </>
                ) : (
                  'waiting for review'
                )}
              </dd>
            </dl>
            <h2>Steps</h2>
            <ol>
              {r.steps.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ol>
            <h2>Runs</h2>
            <Show r={runs} empty={(d) => d.items.filter((run) => run.recoveryId === r.id).length === 0}>
              {(d) => (
                <ul>
                  {d.items
                    .filter((run) => run.recoveryId === r.id)
                    .map((run) => (
                      <li key={run.id}>
                        <Link href={`/runs/${run.id}`}>{run.playbookName ?? run.playbookId}</Link>{' '}
                        <Badge value={run.status} /> <Time at={run.createdAt} />
                      </li>
                    ))}
                </ul>
              )}
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
