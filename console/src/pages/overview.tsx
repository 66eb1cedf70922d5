import { BarChart } from '../chart';
import { Show, Stat, fmtMs, pct, useApi, useStream, useThrottled } from '../ui';

export function Overview() {
  const stats = useApi('/integration/stats?hours=24');
  const series = useApi<{ buckets: { start: string; incidents: number; avgLoopCompletionTimeMs: number | null }[] }>('/integration/stats/timeseries?hours=24&buckets=24');
  // Fresh figures as loops move (at most as often as updates arrive).
  const refresh = useThrottled(() => {
    stats.reload();
    series.reload();
  }, 3000);
  useStream('/integration/stream', refresh);
  const hour = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <section>
      <h1>Overview <span className="muted small">last 24 h</span></h1>
      <Show r={stats}>
        {(s: any) => (
          <>
            <div className="stats">
              <Stat label="incidents" value={s.totalIncidents} />
              <Stat label="loop completion" value={pct(s.loopCompletionRate)} />
              <Stat label="loop time p50" value={fmtMs(s.p50LoopCompletionTimeMs)} />
              <Stat label="loop time p95" value={fmtMs(s.p95LoopCompletionTimeMs)} />
              <Stat label="patterns matched / new" value={`${s.patternsMatched} / ${s.patternsCreated}`} />
              <Stat label="recoveries suggested / applied" value={`${s.recoveriesSuggested} / ${s.recoveriesApplied}`} />
              <Stat label="policies generated" value={s.policiesGenerated} />
              <Stat label="routing adjustments" value={s.routingAdjustments} />
              <Stat label="auto-apply success" value={'autoApplySuccessRate' in s ? pct(s.autoApplySuccessRate) : 'n/a yet'} />
              <Stat label="MTTR (avg)" value={s.mttrMs ? fmtMs(s.mttrMs.avg) : 'n/a yet'} />
            </div>
            <h2>Runs by state</h2>
            {s.runs ? (
              <div className="stats">{Object.entries(s.runs).map(([k, v]) => <Stat key={k} label={k.replace(/_/g, ' ')} value={String(v)} />)}</div>
            ) : (
              <p className="notice">Recovery runs: not available on this server yet.</p>
            )}
          </>
        )}
      </Show>
      <Show r={series}>
        {(t) => (
          <div className="charts">
            <BarChart title="Incidents per hour" points={t.buckets.map((b) => ({ label: hour(b.start), value: b.incidents }))} format={(v) => String(Math.round(v))} />
            <BarChart title="Mean loop completion time" points={t.buckets.map((b) => ({ label: hour(b.start), value: b.avgLoopCompletionTimeMs }))} format={fmtMs} />
          </div>
        )}
      </Show>
    </section>
  );
}
