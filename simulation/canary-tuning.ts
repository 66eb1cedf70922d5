import { mulberry32 } from '../test/fixtures/error-corpus.js';
import { alertmanagerWebhook } from './alertmanager.js';
import { startOpsReceiver, type OpsCall } from './ops-receiver.js';
import { Api, until } from './run-simulation.js';

/**
 * The canary half of `npm run simulate` (DESIGN §13, issue 27; seed 004's config tuning runner).
 * Latency regressions arrive through the Alertmanager intake and match the shipped `tune_config`
 * playbook, whose canary step tries six settings. The fleet's canary actuator knows each fault's
 * hidden truth: how every setting really performs under the fault's load (some faults are code
 * regressions no setting fixes), and it measures with noise, as a real canary does. Monitoring
 * resolves the alert when the promoted setting really meets the targets and fires it again when
 * it does not. Afterwards the simulation compares what the service promoted with the truth.
 */

/** tune_config's check: p95 under 250 ms and errors under 1 %. */
const P95_TARGET = 250;
const ERROR_TARGET = 0.01;
/** A canary (and the check after a promotion) measures p95 within ±8 % and the error rate within ±0.2 points. */
const P95_NOISE = 0.08;
const ERROR_NOISE = 0.002;
/** Faults caused by code, where no setting helps. */
const CODE_REGRESSION_SHARE = 0.25;
const AGENTS = ['search-1', 'search-2', 'search-3', 'search-4'];

interface Setting {
  timeoutMs: number;
  concurrency: number;
  cacheMb: number;
}
interface Quality {
  p95: number;
  errors: number;
}

/** One fault with the truth the service never sees. */
interface Fault {
  index: number;
  agentId: string;
  /** How much load the fault puts on the service (1 = what the settings were sized for). */
  load: number;
  codeRegression: boolean;
  fingerprint: string;
  n: number;
}

export interface CanaryOptions {
  baseUrl: string;
  /** An admin key of the tenant this half uses. */
  apiKey: string;
  seed: number;
  faults: number;
  onFault?: (n: number) => void;
}

export interface CanaryResult {
  seed: number;
  faults: number;
  /** Faults for which some setting really meets the targets. */
  fixable: number;
  /** Runs that promoted a setting; of those, the ones whose setting really meets the targets, and the truly best one. */
  promoted: { total: number; reallyPassing: number; trulyBest: number };
  /** Runs where no candidate passed the canary; of those, the faults no setting could fix. */
  noCandidate: { total: number; reallyUnfixable: number; restoredWithinSla: number; maxRestoreMs: number | null };
  /** Run verdicts against the truth (monitoring fires again when the promoted setting does not hold). */
  verdicts: { succeeded: number; succeededReallyFixed: number; failed: number };
  /** Canary calls the receiver verified, and forged or unsigned ones (must be 0). */
  receiver: { verified: number; rejected: number };
}

/** The truth: how a setting performs under a fault. Concurrency and cache help until the timeout cuts slow calls off as errors. */
export function trueQuality(s: Setting, f: Pick<Fault, 'load' | 'codeRegression'>): Quality {
  const capacity = Math.sqrt(s.concurrency) * (1 + Math.log2(s.cacheMb / 256) * 0.25);
  const p95 = 60 + (260 * f.load) / capacity + (f.codeRegression ? 500 : 0);
  // A short timeout turns the slowest calls into errors; a long one lets the queue grow under load.
  const errors = Math.max(0, (p95 * 4 - s.timeoutMs) / 40_000) + (s.concurrency >= 32 && f.load > 1.6 ? 0.02 : 0);
  return { p95: Math.round(p95), errors: Math.round(errors * 10_000) / 10_000 };
}
const passes = (q: Quality) => q.p95 < P95_TARGET && q.errors < ERROR_TARGET;
/** tune_config's score: higher wins. */
const score = (q: Quality) => -q.p95 - 10_000 * q.errors;

function plan(seed: number, count: number): Fault[] {
  const random = mulberry32(seed ^ 0x5ca1);
  return Array.from({ length: count }, (_, index) => ({
    index,
    agentId: AGENTS[index % AGENTS.length]!,
    load: Math.round((0.6 + random() * 1.4) * 100) / 100,
    codeRegression: random() < CODE_REGRESSION_SHARE,
    fingerprint: `latency-${index}`,
    n: Math.floor(random() * 100_000),
  }));
}

function alertPayload(f: Fault, status: 'firing' | 'resolved') {
  return alertmanagerWebhook(
    {
      labels: { alertname: 'LatencyRegression', service: f.agentId, capability: 'search', severity: 'warning' },
      summary: `p95 latency of ${f.agentId} regressed to ${400 + (f.n % 600)} ms after a traffic shift`,
      fingerprint: f.fingerprint,
    },
    status,
  );
}

interface Run {
  id: string;
  status: string;
  phase: string;
  verdict: string | null;
  cancelable: boolean;
  incidentId: string;
  steps: Array<{ id: string; kind: string; status: string; output: any }>;
}

export async function runCanaryTuning(o: CanaryOptions): Promise<CanaryResult> {
  const api = new Api(o.baseUrl, o.apiKey);
  const faults = plan(o.seed, o.faults);
  const byIncident = new Map<string, Fault>();
  const noise = mulberry32(o.seed ^ 0x0b5e);
  /** What a canary or a check measures: the truth within ±8 % (p95) and ±0.2 points (errors). */
  const measure = (q: Quality): Quality => ({
    p95: Math.round(q.p95 * (1 + (noise() * 2 - 1) * P95_NOISE)),
    errors: Math.max(0, Math.round((q.errors + (noise() * 2 - 1) * ERROR_NOISE) * 10_000) / 10_000),
  });
  const promotedSetting = new Map<string, Setting>();
  const pendingMonitoring: Array<Promise<unknown>> = [];

  const receiver = await startOpsReceiver(async (call: OpsCall & { candidate?: { params: Setting } }) => {
    const f = await until(
      async () => byIncident.get(call.incident?.id ?? '') ?? null,
      `the fault of ${call.incident?.id}`,
      5000,
    );
    switch (call.params.action) {
      case 'canary_apply': {
        const m = measure(trueQuality(call.candidate!.params, f));
        return { status: 200, body: { p95_ms: m.p95, error_rate: m.errors } };
      }
      case 'promote_config':
        promotedSetting.set(call.runId, call.candidate!.params);
        return { status: 200, body: { promoted: true } };
      case 'latency_check': {
        // Production with the promoted setting: monitoring knows whether the fault is gone.
        const q = trueQuality(promotedSetting.get(call.runId)!, f);
        pendingMonitoring.push(
          api.call('POST', '/intake/alertmanager', alertPayload(f, passes(q) ? 'resolved' : 'firing')),
        );
        // The check measures with the same noise as the canary: near the targets it can be fooled, and monitoring then tells.
        return { status: 200, body: { healthy: passes(measure(q)) } };
      }
      default:
        return { status: 200, body: { ok: true } };
    }
  });
  try {
    receiver.setSecret(
      (await api.call<{ secret: string }>('PUT', '/actuators/ops', { url: `${receiver.url}/ops`, timeoutMs: 2000 }))
        .secret,
    );
    // The simulation measures the canary's judgement, not its bounds: the canary guardrails are off (tests cover them).
    await api.call('PUT', '/self-healing/guardrails', {
      canaryRunsPer24h: null,
      canaryCooldownMs: 0,
      canaryDailyBudgetMs: null,
    });
    const runs: Array<Run & { fault: Fault }> = [];
    for (const f of faults) {
      const answer = await api.call<{ alerts: Array<{ incidentId: string }> }>(
        'POST',
        '/intake/alertmanager',
        alertPayload(f, 'firing'),
      );
      const incidentId = answer.alerts[0]!.incidentId;
      byIncident.set(incidentId, f);
      const recovery = await until(
        async () =>
          (
            await api.call<{ items: Array<{ id: string; status: string; playbookId: string }> }>(
              'GET',
              `/recoveries?incidentId=${incidentId}`,
            )
          ).items[0] ?? null,
        `a recovery for ${incidentId}`,
      );
      if (recovery.playbookId !== 'tune_config')
        throw new Error(`simulation: a latency regression matched ${recovery.playbookId}, not tune_config`);
      if (recovery.status === 'pending_review')
        await api.call('POST', `/recoveries/${recovery.id}/approve`, { note: 'simulation reviewer' });
      runs.push({ ...(await until(() => settle(api, incidentId), `the run of ${incidentId}`)), fault: f });
      await Promise.all(pendingMonitoring.splice(0));
      const incident = await api.call<{ status: string }>('GET', `/incidents/${incidentId}`);
      if (incident.status !== 'resolved')
        await api.call('POST', `/incidents/${incidentId}/resolve`, { note: 'simulation operator' });
      o.onFault?.(f.index + 1);
    }
    return judge(o, faults, runs, receiver.counts);
  } finally {
    await receiver.close();
  }
}

/**
 * The incident's run once its verdict is in (a run whose canary found nothing waits for a coding
 * agent: the simulated operator cancels it, there is no agent here); else null.
 */
async function settle(api: Api, incidentId: string): Promise<Run | null> {
  const run = (await api.call<{ items: Run[] }>('GET', `/runs?incidentId=${incidentId}`)).items[0];
  if (!run) return null;
  if (run.phase === 'done') return run;
  // Once: the cancel is asked for, the engine carries it out a moment later.
  if (run.status === 'awaiting_patch' && run.cancelable) await api.call('POST', `/runs/${run.id}/cancel`, {});
  return null;
}

function judge(
  o: CanaryOptions,
  faults: Fault[],
  runs: Array<Run & { fault: Fault }>,
  counts: { verified: number; rejected: number },
): CanaryResult {
  const settingsOf = (r: Run): Setting[] =>
    r.steps.find((s) => s.kind === 'canary')!.output.candidates.map((c: { params: Setting }) => c.params);
  const result: CanaryResult = {
    seed: o.seed,
    faults: faults.length,
    fixable: 0,
    promoted: { total: 0, reallyPassing: 0, trulyBest: 0 },
    noCandidate: { total: 0, reallyUnfixable: 0, restoredWithinSla: 0, maxRestoreMs: null },
    verdicts: { succeeded: 0, succeededReallyFixed: 0, failed: 0 },
    receiver: counts,
  };
  for (const r of runs) {
    const canary = r.steps.find((s) => s.kind === 'canary')!.output;
    const truth = settingsOf(r).map((s) => trueQuality(s, r.fault));
    const truePassing = truth.filter(passes);
    if (truePassing.length > 0) result.fixable++;
    if (canary?.outcome === 'promoted') {
      result.promoted.total++;
      const chosen = truth[canary.winner.index]!;
      if (passes(chosen)) result.promoted.reallyPassing++;
      if (truePassing.length > 0 && score(chosen) >= Math.max(...truePassing.map(score))) result.promoted.trulyBest++;
    } else if (canary?.outcome === 'no_candidate') {
      result.noCandidate.total++;
      if (truePassing.length === 0) result.noCandidate.reallyUnfixable++;
      if (canary.restore.withinSla) result.noCandidate.restoredWithinSla++;
      result.noCandidate.maxRestoreMs = Math.max(result.noCandidate.maxRestoreMs ?? 0, canary.restore.ms);
    }
    if (r.verdict === 'succeeded') {
      result.verdicts.succeeded++;
      if (canary?.outcome === 'promoted' && passes(truth[canary.winner.index]!)) result.verdicts.succeededReallyFixed++;
    } else if (r.verdict === 'failed') result.verdicts.failed++;
  }
  return result;
}
