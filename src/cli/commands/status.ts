import { Option, type Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import {
  HEALTH_RANGES,
  type Escalation,
  type IncidentDetail,
  type InboxSummary,
  type IntegrationStats,
  type LoopHealth,
  type Run,
} from '../api-types.js';
import type { CliContext } from '../context.js';
import { ago, cut, fmtMs, idTail, pct } from '../format.js';
import { StatusMemory, statePath, type LastCheck } from '../status-memory.js';
import { FAILED_VERDICT_STATUSES, judge, verdictOf, type Judgement, type Verdict } from './status-health.js';

type Range = (typeof HEALTH_RANGES)[number];
const RANGE_HOURS: Record<Range, number> = { '24h': 24, '7d': 168, '30d': 720 };
/** The most escalations and runs of one status read for a check; enough for any real day. */
const MOST = 1000;

/** `pillar-loop status`: the loop's health, and an exit code a scheduler can act on. */
export function statusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('The loop-health figures; exit 0 healthy, 1 degraded, 2 fixed since the last check')
    .addOption(
      new Option('--range <range>', 'the window of the figures and of failing runs')
        .choices(HEALTH_RANGES)
        .default('24h'),
    )
    .option('--json', 'print the verdict, what it rests on and the figures as JSON')
    .addHelpText(
      'after',
      `
Degraded (exit 1): an open escalation (a degradation escalation still armed whose incident is not
resolved), or a failing run (started in the window, its verdict failed: failed, rolled back,
rollback failed or still rolling back; and its incident not resolved; a run without an incident
until a later run of its playbook for its agent succeeded).
Fixed (exit 2): healthy now, degraded at the last check of this service with this key; the last
verdict is kept in $XDG_STATE_HOME/pillar-loop/status.json (~/.local/state/pillar-loop/status.json).
Healthy: exit 0.`,
    )
    .action(async (o: { range: Range; json?: boolean }) => {
      const target = ctx.service();
      const memory = new StatusMemory(statePath(ctx.env));
      const report = await check(ctx.api(), o.range, ctx.now());
      const last = memory.last(target);
      const { verdict, exitCode } = verdictOf(report.judgement.health, last);
      try {
        memory.remember(target, { health: report.judgement.health, at: report.checkedAt });
      } catch (error) {
        // The check answered: its verdict and exit code stand; only the next "fixed" is lost.
        const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
        ctx.io.err(`pillar-loop: warning: could not save the last check to ${memory.path} (${why})\n`);
      }
      ctx.exitCode = exitCode;
      const { judgement, ...figures } = report;
      ctx.print(o.json, { verdict, exitCode, service: target.url, lastCheck: last, ...judgement, ...figures }, () =>
        text(verdict, last, report, target.url, ctx.now()),
      );
    });
}

interface Report {
  checkedAt: string;
  range: Range;
  judgement: Judgement;
  stats: IntegrationStats;
  loopHealth: LoopHealth;
  inbox: InboxSummary;
}

async function check(api: ApiClient, range: Range, now: number): Promise<Report> {
  const checkedAt = new Date(now).toISOString();
  const since = new Date(now - RANGE_HOURS[range] * 3_600_000).toISOString();
  const [stats, loopHealth, inbox, armedEscalations, ...failed] = await Promise.all([
    api.get<IntegrationStats>('/integration/stats', { hours: RANGE_HOURS[range] }),
    api.get<LoopHealth>('/integration/stats/loop-health', { range }),
    api.get<InboxSummary>('/inbox/summary'),
    api.all<Escalation>('/signals/escalations', { active: true }, MOST),
    ...FAILED_VERDICT_STATUSES.map((status) => api.all<Run>('/runs', { status, since }, MOST)),
  ]);
  const failedRuns = failed.flat();
  const succeededRuns = failedRuns.some((r) => r.incidentId === null)
    ? await api.all<Run>('/runs', { status: 'succeeded', since }, MOST)
    : [];
  const incidentIds = [
    ...new Set([...armedEscalations, ...failedRuns].flatMap((x) => (x.incidentId ? [x.incidentId] : []))),
  ];
  const resolvedIncidents = new Set(
    (await inBatches(incidentIds, (id) => api.get<IncidentDetail>(`/incidents/${id}`)))
      .filter((i) => i.status === 'resolved')
      .map((i) => i.id),
  );
  const judgement = judge({ armedEscalations, failedRuns, succeededRuns, resolvedIncidents });
  return { checkedAt, range, judgement, stats, loopHealth, inbox };
}

/** A few requests at a time: a bad day's incidents must not open hundreds of connections at once. */
async function inBatches<T, R>(items: T[], fn: (item: T) => Promise<R>, size = 8): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

function text(verdict: Verdict, last: LastCheck | null, r: Report, url: string, now: number): string {
  const { openEscalations: escalations, failingRuns: runs } = r.judgement;
  const count = (n: number, one: string, many = `${one}s`) => `${n === 0 ? 'no' : n} ${n === 1 ? one : many}`;
  const what = `${count(escalations.length, 'open escalation')}, ${count(runs.length, 'failing run')}`;
  const head = {
    healthy: `HEALTHY: ${what}`,
    degraded: `DEGRADED: ${what}`,
    fixed: `FIXED since the last check (degraded ${ago(last?.at, now)}): ${what}`,
  }[verdict];
  const lines = [`${head}   (${url}, last ${r.range})`];
  if (escalations.length > 0) {
    lines.push('', 'Open escalations');
    for (const e of escalations) {
      const on = [e.agentId, e.capability].filter(Boolean).join(' / ') || 'all agents';
      lines.push(
        `  …${idTail(e.id)}  ${e.metric} on ${on}  armed ${ago(e.armedAt, now)}, until ${ago(e.expiresAt, now)}  incident …${idTail(e.incidentId)}`,
      );
    }
  }
  if (runs.length > 0) {
    lines.push('', 'Failing runs');
    for (const run of runs) {
      const about = run.incidentId
        ? `"${cut(run.incidentTitle ?? 'incident', 48)}" …${idTail(run.incidentId)}`
        : 'no incident';
      lines.push(
        `  …${idTail(run.id)}  ${run.status.replace(/_/g, ' ')}  ${run.playbookName ?? run.playbookId}  ${about}  ${ago(run.finishedAt ?? run.updatedAt, now)}`,
      );
    }
  }
  const s = r.stats;
  const repeats = r.loopHealth.buckets.reduce((n, b) => n + b.repeatIncidentsAfterPolicy, 0);
  const runStates = Object.entries(s.runs)
    .filter(([state, n]) => state !== 'total' && n > 0)
    .map(([state, n]) => `${n} ${state.replace(/_/g, ' ')}`);
  const waiting = Object.entries(r.inbox.byKind)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`);
  const figure = (label: string, value: string) => `  ${label.padEnd(22)}${value}`;
  lines.push(
    '',
    `Loop, last ${r.range}`,
    figure('incidents', `${s.totalIncidents} (resolved ${pct(s.resolveRate)}, MTTR p50 ${fmtMs(s.mttrMs?.p50)})`),
    figure(
      'loop completion',
      `${pct(s.loopCompletionRate)} (p50 ${fmtMs(s.p50LoopCompletionTimeMs)}, p95 ${fmtMs(s.p95LoopCompletionTimeMs)})`,
    ),
    figure('auto-apply success', `${pct(s.autoApplySuccessRate)} (bar ${pct(r.loopHealth.autoApplySuccessTarget)})`),
    figure('repeats after policy', String(repeats)),
    figure('runs', runStates.length > 0 ? runStates.join(', ') : 'none'),
    figure('inbox', `${r.inbox.total} waiting${waiting.length > 0 ? ` (${waiting.join(', ')})` : ''}`),
  );
  return lines.join('\n');
}
