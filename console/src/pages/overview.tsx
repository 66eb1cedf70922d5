import { useMemo } from 'react';
import { useSearchParams } from 'wouter';
import type { IntegrationStats, LoopHealth, LoopHealthBucket } from '../api/client';
import { TimeChart, type Series } from '../components/chart';
import { Show, useApi, useLiveReload } from '../components/data';
import { Stat, fmtMs, pct } from '../components/format';

const RANGES = ['24h', '7d', '30d'] as const;
const RUN_STATES: Array<[keyof LoopHealthBucket['runs'], string]> = [
  ['succeeded', '#2f9e55'],
  ['rolled_back', '#d62828'],
  ['failed', '#9d0208'],
  ['awaiting_operator', '#b07d00'],
  ['canceled', '#6c757d'],
];
// Axis ticks between whole counts say nothing.
const count = (v: number) => (Number.isInteger(v) ? String(v) : '');
const ratio = (v: number) => `${Math.round(v * 100)} %`;

/** The loop-health dashboard: stored data per time bucket (GET /integration/stats/loop-health), over 24 h, 7 d or 30 d. */
function Dashboard({ h }: { h: LoopHealth }) {
  const times = useMemo(() => h.buckets.map((b) => b.start), [h]);
  const charts = useMemo(() => {
    const col = (k: Exclude<keyof LoopHealthBucket, 'start' | 'runs'>) => h.buckets.map((b) => b[k]);
    const list: Array<{
      id: string;
      title: string;
      yLabel: string;
      series: Series[];
      yRange?: [number, number];
      empty: string;
    }> = [
      {
        id: 'incidents',
        title: 'Incidents, and repeats after a policy',
        yLabel: 'incidents',
        empty: 'No incident in this range.',
        series: [
          { label: 'incidents', values: col('incidents'), color: '#0b5cad', format: count },
          {
            label: 'repeats after an active policy',
            values: col('repeatIncidentsAfterPolicy'),
            color: '#d62828',
            format: count,
          },
        ],
      },
      {
        id: 'auto-apply',
        title: 'Auto-apply success rate (bar: 90 %) and verified precision',
        yLabel: 'rate',
        yRange: [0, 1],
        empty: 'No auto-applied run reached a verdict in this range, and no verified run is known yet.',
        series: [
          { label: 'auto-apply success', values: col('autoApplySuccessRate'), color: '#2f9e55', format: ratio },
          { label: 'verified precision', values: col('verifiedPrecision'), color: '#6f42c1', format: ratio },
          {
            label: '90 % bar',
            values: h.buckets.map(() => h.autoApplySuccessTarget),
            color: '#b07d00',
            reference: true,
            format: ratio,
          },
        ],
      },
      {
        id: 'mttr',
        title: 'Time to resolve (MTTR p50, p90) and detection to fix (p50)',
        yLabel: 'time',
        empty: 'No incident was resolved in this range.',
        series: [
          { label: 'MTTR p50', values: col('mttrP50Ms'), color: '#0b5cad', format: fmtMs },
          { label: 'MTTR p90', values: col('mttrP90Ms'), color: '#6c9bd2', format: fmtMs },
          { label: 'detection to fix p50', values: col('detectionToFixP50Ms'), color: '#2f9e55', format: fmtMs },
        ],
      },
      {
        id: 'escalations',
        title: 'Escalations resolved without a person',
        yLabel: 'share',
        yRange: [0, 1],
        empty: 'No degradation escalation was resolved in this range.',
        series: [
          {
            label: 'by monitoring, or an automatic run no person acted in',
            values: col('escalationsWithoutPersonRate'),
            color: '#6f42c1',
            format: ratio,
          },
        ],
      },
      {
        id: 'runs',
        title: 'Runs started, by state now',
        yLabel: 'runs',
        empty: 'No run started in this range.',
        series: RUN_STATES.map(([state, color]) => ({
          label: state.replace(/_/g, ' '),
          values: h.buckets.map((b) => b.runs[state]),
          color,
          format: count,
        })),
      },
    ];
    return list;
  }, [h]);
  return (
    <div className="charts">
      {charts.map((c) => (
        <TimeChart
          key={c.id}
          id={c.id}
          title={c.title}
          yLabel={c.yLabel}
          yRange={c.yRange}
          empty={c.empty}
          times={times}
          series={c.series}
        />
      ))}
    </div>
  );
}

export function Overview() {
  const [params, setParams] = useSearchParams();
  const asked = params.get('range');
  const range = RANGES.find((r) => r === asked) ?? '24h';
  const hours = { '24h': 24, '7d': 168, '30d': 720 }[range];
  const stats = useApi<IntegrationStats>(`/integration/stats?hours=${hours}`);
  const health = useApi<LoopHealth>(`/integration/stats/loop-health?range=${range}`);
  // Fresh figures as loops move (at most as often as updates arrive).
  useLiveReload(
    () => {
      stats.reload();
      health.reload();
    },
    ['loop_progress'],
    { ms: 3000 },
  );
  return (
    <section>
      <h1>Overview</h1>
      <div className="inline" role="group" aria-label="time range">
        {RANGES.map((r) => (
          <button
            key={r}
            className={r === range ? '' : 'secondary'}
            aria-pressed={r === range}
            onClick={() => setParams({ range: r })}
          >
            {r}
          </button>
        ))}
      </div>
      <Show r={stats}>
        {(s) => (
          <div className="stats">
            <Stat label="incidents" value={s.totalIncidents} />
            <Stat label="loop completion" value={pct(s.loopCompletionRate)} />
            <Stat label="loop time p50" value={fmtMs(s.p50LoopCompletionTimeMs)} />
            <Stat label="auto-apply success (bar 90 %)" value={pct(s.autoApplySuccessRate)} testId="stat-auto-apply" />
            <Stat label="MTTR p50" value={s.mttrMs ? fmtMs(s.mttrMs.p50) : '—'} />
            <Stat label="resolved" value={pct(s.resolveRate)} />
            <Stat label="recoveries suggested / applied" value={`${s.recoveriesSuggested} / ${s.recoveriesApplied}`} />
            <Stat label="policies generated" value={s.policiesGenerated} />
          </div>
        )}
      </Show>
      <h2>Loop health over {range}</h2>
      <Show r={health}>{(h) => <Dashboard h={h} />}</Show>
    </section>
  );
}
