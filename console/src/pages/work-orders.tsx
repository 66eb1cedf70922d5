import { useState } from 'react';
import { Link } from 'wouter';
import { api, qs, type Run } from '../api/client';
import type { PatchStats, WorkOrder } from '../api/untyped-routes';
import { Show, isNotFound, useAction, useApi, useLiveReload } from '../components/data';
import { FilterSelect, useUrlFilters } from '../components/filters';
import { Badge, IdTag, Stat, Time, pct, shortenIds } from '../components/format';
import { NotFound, isUuid } from '../components/not-found';
import { LoadMore, usePaged } from '../components/paged';

const TABS = ['patches', 'runs', 'workflow'] as const;
const STATUSES = ['queued', 'claimed', 'in_progress', 'completed', 'failed', 'canceled'];
const safeUrl = (url: string) => (/^https?:\/\//i.test(url) ? url : null);

/** The seed's patch-tracking panel: the work orders, runs waiting for a patch, the workflow in figures. */
export function WorkOrders() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('patches');
  const { values: f, set } = useUrlFilters(['status'] as const);
  const stats = useApi<PatchStats>(tab === 'workflow' ? '/patches/stats' : null);
  const runs = usePaged<Run>(tab === 'runs' ? '/patches/runs?status=awaiting_patch&limit=50' : null);
  const orders = usePaged<WorkOrder>(
    tab === 'patches' ? `/patches/work-orders${qs({ status: f.status, limit: 50 })}` : null,
  );
  // The tab shown reads again (the others have no path: their reload asks nothing).
  useLiveReload(
    () => {
      orders.reload();
      runs.reload();
      stats.reload();
    },
    ['work_order_progress'],
    { ms: 2000 },
  );
  return (
    <section>
      <h1>Work orders</h1>
      <div role="tablist" className="tabs" aria-label="work order views">
        {TABS.map((t) => (
          <button
            key={t}
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls="wo-panel"
            onClick={() => setTab(t)}
          >
            {t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="wo-panel" aria-labelledby={`tab-${tab}`}>
        {tab === 'patches' && (
          <>
            <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="filters">
              <FilterSelect label="Status" value={f.status} options={STATUSES} onChange={(v) => set('status', v)} />
            </form>
            <Show r={orders} empty={(d) => d.length === 0}>
              {(d) => (
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Work order</th>
                        <th scope="col">State</th>
                        <th scope="col">Priority</th>
                        <th scope="col">Claimed by</th>
                        <th scope="col">Created</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.map((w) => (
                        <tr key={w.id}>
                          <td>
                            <Link href={`/work-orders/${w.id}`}>
                              {w.context.incident?.title ?? w.description.slice(0, 80)}
                            </Link>{' '}
                            <IdTag id={w.id} label="work order id" />
                          </td>
                          <td>
                            <Badge value={w.status} />
                          </td>
                          <td>{w.priority}</td>
                          <td>{w.claimedBy ?? '—'}</td>
                          <td>
                            <Time at={w.createdAt} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Show>
            <LoadMore paged={orders} />
          </>
        )}
        {tab === 'runs' && (
          <>
            <Show r={runs} empty={(d) => d.length === 0}>
              {(d) => (
                <ul className="plain">
                  {d.map((r) => (
                    <li key={r.id}>
                      <Link href={`/runs/${r.id}`}>{r.incidentTitle ?? r.playbookId}</Link> <Badge value={r.status} />
                    </li>
                  ))}
                </ul>
              )}
            </Show>
            <LoadMore paged={runs} />
          </>
        )}
        {tab === 'workflow' && (
          <Show r={stats}>
            {(s) => (
              <div className="stats">
                <Stat label="playbook runs" value={s.totalPlaybookRuns} />
                <Stat label="escalation rate" value={pct(s.escalationRate)} />
                <Stat label="auto-fix rate" value={pct(s.autoFixRate)} />
                <Stat label="avg patch time" value={`${s.averagePatchTimeMinutes ?? '—'} min`} />
                {Object.entries(s.workOrders ?? {}).map(([k, v]) => (
                  <Stat key={k} label={k.replace(/_/g, ' ')} value={String(v)} />
                ))}
              </div>
            )}
          </Show>
        )}
      </div>
    </section>
  );
}

/** One work order: who has it, how far it got, its history, the patch (diff link), and Cancel while it is open. */
export function WorkOrderPage({ id, canOperate }: { id: string; canOperate: boolean }) {
  const valid = isUuid(id);
  const order = useApi<WorkOrder>(valid ? `/patches/work-orders/${id}` : null);
  const act = useAction();
  const [reason, setReason] = useState('');
  useLiveReload(order.reload, ['work_order_progress'], {
    ms: 400,
    path: valid ? '/integration/stream' : null,
    matches: (d) => {
      const e = d as { id?: string; workOrderId?: string } | null;
      return e?.id === id || e?.workOrderId === id;
    },
  });
  if (!valid || isNotFound(order.error)) return <NotFound what="work order" id={id} />;
  const cancel = () =>
    act.run(async () => {
      await api(`/patches/work-orders/${id}/cancel`, { method: 'POST', body: { reason: reason.trim() } });
      setReason('');
      order.reload();
    }, 'canceled');
  return (
    <section>
      <p className="muted small">
        <Link href="/work-orders">Work orders</Link> /
      </p>
      <Show r={order}>
        {(w) => {
          const open = ['queued', 'claimed', 'in_progress'].includes(w.status);
          const diff = w.result?.diffUrl ? safeUrl(w.result.diffUrl) : null;
          return (
            <>
              <h1>
                Work order <Badge value={w.status} /> <IdTag id={w.id} label="work order id" />
              </h1>
              <p className="message">{w.description}</p>
              <dl className="kv">
                <dt>Priority</dt>
                <dd>
                  {w.priority} · {w.complexity}
                </dd>
                <dt>Claimed by</dt>
                <dd data-testid="wo-claimant">
                  {w.claimedBy ? (
                    <>
                      {shortenIds(w.claimedBy)} at <Time at={w.claimedAt} /> (claim until <Time at={w.claimExpiresAt} />
                      )
                    </>
                  ) : (
                    'nobody yet'
                  )}
                </dd>
                <dt>Incident</dt>
                <dd>
                  {w.incidentId ? (
                    <Link href={`/incidents/${w.incidentId}`}>{w.context.incident?.title ?? 'incident'}</Link>
                  ) : (
                    '—'
                  )}
                </dd>
                {w.incidentResolvedAt && (
                  <>
                    <dt>Incident resolved</dt>
                    <dd data-testid="wo-incident-resolved">
                      at <Time at={w.incidentResolvedAt} />: nothing is left to patch
                      {open ? ' (its run counts no verified fix from it)' : ''}
                    </dd>
                  </>
                )}
                <dt>Run</dt>
                <dd>{w.runId ? <Link href={`/runs/${w.runId}`}>the run waiting for it</Link> : '—'}</dd>
                <dt>Pattern</dt>
                <dd>
                  {w.context.pattern ? (
                    <Link href={`/patterns/${w.context.pattern.id}`}>{w.context.pattern.template}</Link>
                  ) : (
                    '—'
                  )}
                </dd>
                <dt>Result</dt>
                <dd>
                  {w.result ? (
                    <>
                      {w.result.testsPassed ? 'tests passed' : 'tests failed'} ·{' '}
                      {w.result.filesChanged.join(', ') || 'no files'} · {w.result.summary}
                      {diff && (
                        <>
                          {' · '}
                          <a href={diff} rel="noreferrer noopener" target="_blank">
                            diff
                          </a>
                        </>
                      )}
                    </>
                  ) : (
                    (w.failureReason ?? '—')
                  )}
                </dd>
                {w.finishedByRole && (
                  <>
                    <dt>Finished by</dt>
                    <dd data-testid="wo-finished-by">
                      {w.finishedByRole === 'agent' ? 'a coding agent' : `a person, by hand (${w.finishedByRole})`}
                    </dd>
                  </>
                )}
              </dl>
              {canOperate && open && (
                <form
                  className="inline"
                  aria-label="cancel work order"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void cancel();
                  }}
                >
                  <label>
                    Reason{' '}
                    <input
                      required
                      maxLength={2000}
                      value={reason}
                      onChange={(e) => setReason(e.target.value)}
                      placeholder="why it is no longer needed"
                    />
                  </label>
                  <button type="submit" className="danger" disabled={act.busy || !reason.trim()}>
                    Cancel work order
                  </button>
                </form>
              )}
              {act.note}
              <h2>History and progress</h2>
              <ol className="timeline" data-testid="wo-history">
                {(w.history ?? []).map((h, i) => (
                  <li key={i}>
                    <Time at={h.at} /> {h.from ? `${h.from.replace(/_/g, ' ')} → ` : ''}
                    {h.to.replace(/_/g, ' ')} by {shortenIds(h.actor)}
                    {h.note ? `: ${shortenIds(h.note)}` : ''}
                  </li>
                ))}
              </ol>
              {w.context.lastErrors.length > 0 && (
                <>
                  <h2>Last errors</h2>
                  <ul className="small">
                    {w.context.lastErrors.map((e, i) => (
                      <li key={i}>{shortenIds(e)}</li>
                    ))}
                  </ul>
                </>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
