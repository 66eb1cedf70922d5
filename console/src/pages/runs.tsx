import { Link } from 'wouter';
import { qs, type Run } from '../api/client';
import { Show, useLiveReload } from '../components/data';
import { FilterSelect, FilterText, SinceSelect, useUrlFilters } from '../components/filters';
import { Badge, IdTag, Time, shortenIds } from '../components/format';
import { NotFound, isUuid } from '../components/not-found';
import { LoadMore, usePaged } from '../components/paged';
import { RunDetail } from '../components/run-detail';

const STATUSES: Run['status'][] = [
  'queued',
  'running',
  'awaiting_operator',
  'awaiting_patch',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'rollback_failed',
  'canceled',
];
const FILTERS = ['status', 'trigger', 'agentId', 'capability', 'patternId', 'playbookId', 'since'] as const;

export function Runs() {
  const { values: f, set } = useUrlFilters(FILTERS);
  const runs = usePaged<Run>(`/runs${qs({ ...f, limit: 100 })}`);
  useLiveReload(runs.reload, ['run_progress'], { ms: 2000 });
  return (
    <section>
      <h1>Runs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
        <FilterSelect label="Status" value={f.status} onChange={(v) => set('status', v)} options={STATUSES} />
        <FilterSelect
          label="Started"
          value={f.trigger}
          onChange={(v) => set('trigger', v)}
          options={['automatic', 'manual']}
        />
        <FilterText label="Agent" value={f.agentId} onChange={(v) => set('agentId', v)} />
        <FilterText label="Capability" value={f.capability} onChange={(v) => set('capability', v)} />
        <FilterText label="Playbook" value={f.playbookId} onChange={(v) => set('playbookId', v)} />
        <SinceSelect value={f.since} onChange={(v) => set('since', v)} />
      </form>
      <Show r={runs} empty={(d) => d.length === 0}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Why</th>
                  <th scope="col">Incident</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {d.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link href={`/runs/${r.id}`}>{r.playbookName ?? r.playbookId}</Link>{' '}
                      <IdTag id={r.id} label="run id" />
                    </td>
                    <td>
                      <Badge value={r.status} />
                      {r.automatic ? <span className="muted small"> auto</span> : null}
                    </td>
                    <td className="small">{r.reason ? shortenIds(r.reason) : (r.pausedReason ?? '—')}</td>
                    <td>
                      {r.incidentId ? (
                        <Link href={`/incidents/${r.incidentId}`}>{r.incidentTitle ?? 'incident'}</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>{r.agentId ?? '—'}</td>
                    <td>
                      <Time at={r.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      <LoadMore paged={runs} />
    </section>
  );
}

export function RunPage({ id, canOperate }: { id: string; canOperate: boolean }) {
  // A malformed id makes no request at all; RunDetail shows the one "not found" of a missing run.
  if (!isUuid(id)) return <NotFound what="run" id={id} />;
  return (
    <section>
      <p className="muted small">
        <Link href="/runs">Runs</Link> /
      </p>
      <RunDetail runId={id} canOperate={canOperate} headingLevel={1} />
    </section>
  );
}
