import { generateWebhookSecret, signWebhook } from '../src/platform/crypto/webhook-signature.js';
import { mulberry32 } from '../test/fixtures/error-corpus.js';
import { alertmanagerWebhook } from './alertmanager.js';
import { checkBody, startOpsReceiver, type OpsCall } from './ops-receiver.js';
import { Api, until } from './run-simulation.js';

/**
 * The self-healing half of `npm run simulate` (DESIGN §8, issue 22): the simulation judges the
 * judge. A seeded fleet's faults arrive through the real Alertmanager intake; each has a hidden
 * true cause, and each playbook a hidden reliability per cause (0.98, 0.9, 0.6, and one that
 * turns from 0.4 to 0.97 when a patch lands mid-run). The `ops` actuator is a real signed-webhook
 * receiver that knows the truth: a fix that does not work fails a step, fails its check, or fools
 * the check, and then monitoring fires the alert again; a fix that works gets its alert resolved.
 * Nothing of this is visible to the service; afterwards the simulation compares what the service
 * concluded (auto-apply, verdicts) with what really happened.
 */

export interface FaultCause {
  cause: string;
  /** Share of this kind's faults with this cause. */
  share: number;
  /** Hidden: the probability that the playbook fixes a fault of this cause. */
  fixes: number;
  /** After the patch lands (the improving fix). */
  fixesAfterPatch?: number;
}

export interface FaultKind {
  id: string;
  alertname: string;
  capability: string;
  playbookId: string;
  /** How the pattern gets its fix: a template with its owner's confidence, or the generator's suggestion. */
  fix: { template: { confidence: number } } | { generated: true };
  /** Short waits, so a run takes well under a second. */
  params: Record<string, unknown>;
  summary: (n: number) => string;
  causes: FaultCause[];
}

export const FAULT_KINDS: FaultKind[] = [
  {
    // No template: the generator suggests a memory cleanup, and the pattern allows auto-apply.
    id: 'oom',
    alertname: 'OutOfMemoryError',
    capability: 'summarise',
    playbookId: 'memory_cleanup',
    fix: { generated: true },
    params: {},
    summary: (n) => `Worker pod summarise-${n} OOMKilled: container exceeded memory limit 2048Mi`,
    causes: [{ cause: 'cache growth', share: 1, fixes: 0.98 }],
  },
  {
    id: 'rate-limit',
    alertname: 'RateLimitError',
    capability: 'translate',
    playbookId: 'backoff_and_route_away',
    fix: { template: { confidence: 0.95 } },
    params: { backoffMs: 50 },
    summary: (n) => `HTTP 429 from translate-upstream: rate limit exceeded for key tk-${n}`,
    causes: [{ cause: 'quota burst', share: 1, fixes: 0.98 }],
  },
  {
    // The same playbook as the 0.6 timeout below, for another fault: learning is per (pattern, playbook).
    id: 'gateway-timeout',
    alertname: 'GatewayTimeout',
    capability: 'search',
    playbookId: 'retry_with_backoff',
    fix: { template: { confidence: 0.95 } },
    params: {},
    summary: (n) => `gateway timeout from search-upstream-${n % 4} after 30 s`,
    causes: [{ cause: 'transient upstream stall', share: 1, fixes: 0.98 }],
  },
  {
    id: 'conn-reset',
    alertname: 'ConnectionResetError',
    capability: 'extract',
    playbookId: 'reconnect',
    fix: { template: { confidence: 0.95 } },
    params: { reconnectDelayMs: 20 },
    summary: (n) => `ECONNRESET: connection to feature-db-${n % 5}:5432 reset by peer after ${1000 + n} ms`,
    causes: [{ cause: 'network blip', share: 1, fixes: 0.9 }],
  },
  {
    // Retrying fixes a slow dependency, never a dead one: 0.6 overall.
    id: 'timeout',
    alertname: 'TimeoutError',
    capability: 'classify',
    playbookId: 'retry_with_backoff',
    fix: { template: { confidence: 0.95 } },
    params: {},
    summary: (n) => `upstream label-store-${n % 7} timed out after ${1000 + n} ms`,
    causes: [
      { cause: 'slow dependency', share: 0.6, fixes: 1 },
      { cause: 'dependency down', share: 0.4, fixes: 0 },
    ],
  },
  {
    // A driver bug: reconnecting rarely helps until the driver patch lands mid-run.
    id: 'db-driver',
    alertname: 'DatabaseConnectionError',
    capability: 'report',
    playbookId: 'database_reconnect',
    fix: { template: { confidence: 0.95 } },
    params: { reconnectDelayMs: 20 },
    summary: (n) => `could not connect to server: connection pool exhausted on reports-db (${n % 3})`,
    causes: [{ cause: 'driver bug', share: 1, fixes: 0.4, fixesAfterPatch: 0.97 }],
  },
];

/** Agents take turns, so two faults of one kind never land on one agent while a run watches for a recurrence. */
const AGENTS = ['agent-h1', 'agent-h2', 'agent-h3', 'agent-h4', 'agent-h5'];
/** How a fix that does not work shows: its first step fails, its check reads unhealthy, or it fools the check and only monitoring knows. */
const FAILURE_SHAPES = ['step', 'check', 'silent'] as const;

export interface SelfHealingOptions {
  baseUrl: string;
  /** An admin key of the tenant this half uses. */
  apiKey: string;
  seed: number;
  windows: number;
  /** The window (1-based) from which the improving fix's patch is in place; default: the middle. */
  patchWindow?: number;
  onWindow?: (window: number) => void;
}

/** One fault, with the truth the service never sees. */
interface Fault {
  window: number;
  kind: FaultKind;
  /** Its index among the kind's faults (0-based). */
  index: number;
  cause: string;
  /** The playbook's hidden chance of fixing a fault of this kind (all causes, the patch if it has landed), and whether it fixes this one. */
  reliability: number;
  fixed: boolean;
  shape: (typeof FAILURE_SHAPES)[number];
  n: number;
  agentId: string;
  fingerprint: string;
}

export interface KindResult {
  id: string;
  playbookId: string;
  /** The hidden reliability, before and (the improving fix) after the patch. */
  reliability: string;
  patternId: string;
  /** Per fault: the recovery's confidence and lower bound as the service saw them, and its decision. */
  timeline: Array<{
    window: number;
    confidence: number;
    lowerBound: number | null;
    decision: 'auto' | 'review';
    fixed: boolean;
  }>;
  autoApplied: number;
  heldForReview: number;
  /** 1-based indexes of the kind's faults whose recovery was auto-applied. */
  autoAt: number[];
}

export interface Mttr {
  count: number;
  avg: number | null;
  p50: number | null;
  max: number | null;
}

export interface SelfHealingResult {
  seed: number;
  windows: number;
  patchWindow: number;
  kinds: KindResult[];
  /** Auto-applied runs whose verdict is succeeded ÷ auto-applied runs with a verdict (the service's own figure). */
  autoApplySuccessRate: number | null;
  /** The same by the truth: auto-applied runs whose fault really was fixed. */
  autoApplyTrueSuccessRate: number | null;
  autoRuns: { succeeded: number; withVerdict: number };
  /** Runs marked succeeded whose fault really was fixed ÷ runs marked succeeded. */
  verifiedPrecision: number | null;
  verified: { succeeded: number; reallyFixed: number };
  /** Runs marked failed whose fault was in fact fixed (the judge too strict). */
  failedButFixed: number;
  /** Faults whose fix works ≥ 90 % of the time (hidden) that were held for review, of all such faults. */
  missedFixes: { held: number; of: number };
  mttrMs: { byRuns: Mttr; byOperator: Mttr };
  incidents: { total: number; resolvedByRun: number; resolvedByMonitoring: number; resolvedByOperator: number };
  monitoring: { refired: number; resolved: number };
  receiver: { verified: number; rejected: number; repeats: number; forgedRefused: boolean };
  /** The issue's targets, judged on this run. */
  targets: Array<{ target: string; value: string; met: boolean }>;
}

interface Recovery {
  id: string;
  incidentId: string;
  patternId: string;
  confidence: number;
  status: string;
  decidedBy: string | null;
  decision: { evidence?: { lowerBound?: number } } | null;
}
interface Run {
  id: string;
  status: string;
  phase: string;
  verdict: string | null;
  automatic: boolean;
  incidentId: string;
  /** An approved run waits on its failed step for an operator (DESIGN §13). */
  pausedOnStep: string | null;
  steps: Array<{ id: string; status: string }>;
}
interface Incident {
  id: string;
  occurredAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  status: string;
}

function plan(seed: number, windows: number, patchWindow: number): Fault[][] {
  const random = mulberry32(seed ^ 0x2f6b);
  const counts = new Map<string, number>();
  return Array.from({ length: windows }, (_, w) =>
    FAULT_KINDS.map((kind, k) => {
      let pick = random();
      const cause = kind.causes.find((c) => (pick -= c.share) < 0) ?? kind.causes.at(-1)!;
      const patched = w + 1 >= patchWindow;
      const fixes = (c: FaultCause) => (patched && c.fixesAfterPatch !== undefined ? c.fixesAfterPatch : c.fixes);
      const fixed = random() < fixes(cause);
      const reliability = kind.causes.reduce((sum, c) => sum + c.share * fixes(c), 0);
      const shape = FAILURE_SHAPES[Math.floor(random() * FAILURE_SHAPES.length)]!;
      const n = Math.floor(random() * 100_000);
      const agentId = AGENTS[(w + k) % AGENTS.length]!;
      const index = counts.get(kind.id) ?? 0;
      counts.set(kind.id, index + 1);
      return {
        window: w + 1,
        kind,
        index,
        cause: cause.cause,
        reliability,
        fixed,
        shape,
        n,
        agentId,
        fingerprint: `${kind.id}-${w + 1}-${agentId}`,
      };
    }),
  );
}

/** The Alertmanager webhook (version 4) for one fault's alert. */
function alertPayload(f: Fault, status: 'firing' | 'resolved') {
  return alertmanagerWebhook(
    {
      labels: { alertname: f.kind.alertname, service: f.agentId, capability: f.kind.capability, severity: 'critical' },
      summary: f.kind.summary(f.n),
      fingerprint: f.fingerprint,
    },
    status,
  );
}

export async function runSelfHealing(o: SelfHealingOptions): Promise<SelfHealingResult> {
  const api = new Api(o.baseUrl, o.apiKey);
  const patchWindow = o.patchWindow ?? Math.floor(o.windows / 2) + 1;
  const byIncident = new Map<string, Fault>();
  const firstCallOfRun = new Set<string>();
  const monitored = new Set<string>();
  const monitoring = { refired: 0, resolved: 0 };
  const pendingMonitoring: Array<Promise<unknown>> = [];

  // The truth lives only here: in the actuator's answers and in what monitoring sends.
  const receiver = await startOpsReceiver(async (call: OpsCall) => {
    const f = await until(
      async () => byIncident.get(call.incident?.id ?? '') ?? null,
      `the fault of incident ${call.incident?.id}`,
      5000,
    );
    const first = !firstCallOfRun.has(call.runId);
    firstCallOfRun.add(call.runId);
    if (call.kind === 'check') {
      // The fix is in place: monitoring sees whether the fault is gone (once per run).
      if (!monitored.has(call.runId)) {
        monitored.add(call.runId);
        pendingMonitoring.push(
          new Promise((r) => setTimeout(r, 20))
            .then(() => api.call('POST', '/intake/alertmanager', alertPayload(f, f.fixed ? 'resolved' : 'firing')))
            .then(() => monitoring[f.fixed ? 'resolved' : 'refired']++),
        );
      }
      return { status: 200, body: checkBody(f.fixed || f.shape === 'silent') };
    }
    // Only the run's first call fails, so a failed run's rollback steps succeed.
    if (!f.fixed && f.shape === 'step' && first)
      return { status: 200, body: { status: 'failed', error: `${call.params.action} did not help` } };
    return { status: 200, body: { ok: true } };
  });
  try {
    const { secret } = await api.call<{ secret: string }>('PUT', '/actuators/ops', {
      url: `${receiver.url}/ops`,
      timeoutMs: 2000,
    });
    receiver.setSecret(secret);
    const forgedRefused = await refusesForgedCalls(receiver.url);
    const rejectedBefore = receiver.counts.rejected;

    const planned = plan(o.seed, o.windows, patchWindow);
    const patternOf = await foundPatterns(api);
    for (const window of planned) {
      const incidentIds: string[] = [];
      for (const f of window) {
        const answer = await api.call<{ alerts: Array<{ incidentId: string; outcome: string }> }>(
          'POST',
          '/intake/alertmanager',
          alertPayload(f, 'firing'),
        );
        const incidentId = answer.alerts[0]!.incidentId;
        byIncident.set(incidentId, f);
        incidentIds.push(incidentId);
      }
      const recoveries = await Promise.all(
        incidentIds.map((id) =>
          until(
            async () => (await api.call<{ items: Recovery[] }>('GET', `/recoveries?incidentId=${id}`)).items[0] ?? null,
            `a recovery for ${id}`,
          ),
        ),
      );
      for (const [i, r] of recoveries.entries()) {
        const kind = window[i]!.kind;
        if (patternOf.get(kind.id) !== r.patternId)
          throw new Error(
            `simulation: incident ${r.incidentId} of ${kind.id} matched pattern ${r.patternId}, not ${patternOf.get(kind.id)}`,
          );
        // A reviewer approves what waits (their runs teach the fix's confidence too).
        if (r.status === 'pending_review')
          await api.call('POST', `/recoveries/${r.id}/approve`, { note: 'simulation reviewer' });
      }
      // Lock-step: the window's runs are done before the next window, so each suggestion sees every earlier verdict.
      await Promise.all(incidentIds.map((id) => until(() => settle(api, id), `the run of incident ${id}`)));
      await Promise.all(pendingMonitoring.splice(0));
      // An operator resolves what the runs did not fix (by hand, at the end of the window).
      for (const id of incidentIds) {
        const incident = await api.call<Incident>('GET', `/incidents/${id}`);
        if (incident.status !== 'resolved')
          await api.call('POST', `/incidents/${id}/resolve`, { note: 'simulation operator' });
      }
      o.onWindow?.(window[0]!.window);
    }
    return await collect(api, o, patchWindow, byIncident, patternOf, monitoring, {
      verified: receiver.counts.verified,
      rejected: receiver.counts.rejected - rejectedBefore,
      repeats: receiver.counts.repeats,
      forgedRefused,
    });
  } finally {
    await receiver.close();
  }
}

/**
 * One founding fault per kind creates its pattern; an admin then gives the pattern its template
 * (or, for a generated fix, just allows auto-apply), and an operator resolves the founding
 * incident (left out of every figure: it came before the pattern had its fix).
 */
async function foundPatterns(api: Api): Promise<Map<string, string>> {
  const patternOf = new Map<string, string>();
  for (const kind of FAULT_KINDS) {
    const founding: Fault = {
      window: 0,
      kind,
      index: -1,
      cause: 'founding',
      reliability: 1,
      fixed: true,
      shape: 'step',
      n: 424242,
      agentId: 'agent-h0',
      fingerprint: `${kind.id}-founding`,
    };
    const incidentId = (
      await api.call<{ alerts: Array<{ incidentId: string }> }>(
        'POST',
        '/intake/alertmanager',
        alertPayload(founding, 'firing'),
      )
    ).alerts[0]!.incidentId;
    const recovery = await until(
      async () =>
        (await api.call<{ items: Recovery[] }>('GET', `/recoveries?incidentId=${incidentId}`)).items[0] ?? null,
      `a recovery for ${incidentId}`,
    );
    const recoveryTemplate =
      'template' in kind.fix
        ? { playbookId: kind.playbookId, confidence: kind.fix.template.confidence, params: kind.params }
        : null;
    await api.call('PATCH', `/catalog/patterns/${recovery.patternId}`, { recoveryTemplate, autoApplyRecovery: true });
    await api.call('POST', `/incidents/${incidentId}/resolve`, { note: 'founding incident of the simulation' });
    patternOf.set(kind.id, recovery.patternId);
  }
  return patternOf;
}

/**
 * The incident's run once it is done, else null. The simulated operator rolls back an approved run
 * paused on its failed step (as an automatic one does at once) and does a rollback step waiting
 * for a person.
 */
async function settle(api: Api, incidentId: string): Promise<Run | null> {
  const run = (await api.call<{ items: Run[] }>('GET', `/runs?incidentId=${incidentId}`)).items[0];
  if (!run) return null;
  if (run.phase === 'done') return run;
  if (run.pausedOnStep) {
    await api.call('POST', `/runs/${run.id}/rollback`, {});
    return null;
  }
  const waiting = run.phase === 'rollback' ? run.steps.find((s) => s.status === 'awaiting_operator') : undefined;
  if (waiting)
    await api.call('POST', `/runs/${run.id}/steps/${waiting.id}/complete`, {
      outcome: 'succeeded',
      note: 'simulation operator: checked by hand',
    });
  return null;
}

/** The receiver must refuse an unsigned call and one signed with another secret; those two are not counted as the engine's. */
async function refusesForgedCalls(url: string): Promise<boolean> {
  const body = JSON.stringify({ runId: 'forged', stepId: 'x', kind: 'webhook', params: {} });
  const ts = Math.floor(Date.now() / 1000);
  const unsigned = await fetch(`${url}/ops`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  const wrong = await fetch(`${url}/ops`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json',
      'webhook-id': 'forged',
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(generateWebhookSecret(), 'forged', ts, body),
    },
  });
  return unsigned.status === 401 && wrong.status === 401;
}

async function listAll<T>(api: Api, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: T[]; nextCursor: string | null } = await api.call(
      'GET',
      `${path}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

async function collect(
  api: Api,
  o: SelfHealingOptions,
  patchWindow: number,
  faults: Map<string, Fault>,
  patternOf: Map<string, string>,
  monitoring: SelfHealingResult['monitoring'],
  receiver: SelfHealingResult['receiver'],
): Promise<SelfHealingResult> {
  const kinds: KindResult[] = [];
  const runs: Array<Run & { fault: Fault }> = [];
  const incidents: Incident[] = [];
  const good = { held: 0, of: 0 };
  for (const kind of FAULT_KINDS) {
    const patternId = patternOf.get(kind.id)!;
    const kindRuns = new Map((await listAll<Run>(api, `/runs?patternId=${patternId}`)).map((r) => [r.incidentId, r]));
    const timeline: KindResult['timeline'] = [];
    for (const r of await listAll<Recovery>(api, `/recoveries?patternId=${patternId}`)) {
      const fault = faults.get(r.incidentId);
      if (!fault) continue; // the founding incident
      const decision = r.decidedBy === 'auto-apply' ? 'auto' : 'review';
      timeline.push({
        window: fault.window,
        confidence: r.confidence,
        lowerBound: r.decision?.evidence?.lowerBound ?? null,
        decision,
        fixed: fault.fixed,
      });
      if (fault.reliability >= 0.9) {
        good.of++;
        if (decision === 'review') good.held++;
      }
      const run = kindRuns.get(r.incidentId);
      if (run) runs.push({ ...run, fault });
      incidents.push(await api.call<Incident>('GET', `/incidents/${r.incidentId}`));
    }
    timeline.sort((a, b) => a.window - b.window);
    const reliability = (patched: boolean) =>
      Math.round(
        kind.causes.reduce((sum, c) => sum + c.share * (patched ? (c.fixesAfterPatch ?? c.fixes) : c.fixes), 0) * 100,
      ) / 100;
    kinds.push({
      id: kind.id,
      playbookId: kind.playbookId,
      reliability:
        reliability(false) === reliability(true)
          ? `${reliability(false)}`
          : `${reliability(false)} → ${reliability(true)}`,
      patternId,
      timeline,
      autoApplied: timeline.filter((t) => t.decision === 'auto').length,
      heldForReview: timeline.filter((t) => t.decision === 'review').length,
      autoAt: timeline.flatMap((t, i) => (t.decision === 'auto' ? [i + 1] : [])),
    });
  }
  const auto = runs.filter((r) => r.automatic && r.verdict);
  const succeeded = runs.filter((r) => r.verdict === 'succeeded');
  const resolvedBy = (i: Incident) =>
    i.resolvedBy?.startsWith('run ') ? 'run' : i.resolvedBy === 'monitoring' ? 'monitoring' : 'operator';
  const mttr = (xs: Incident[]) =>
    summary(xs.filter((i) => i.resolvedAt).map((i) => Date.parse(i.resolvedAt!) - Date.parse(i.occurredAt)));
  const result: SelfHealingResult = {
    seed: o.seed,
    windows: o.windows,
    patchWindow,
    kinds,
    autoApplySuccessRate: ratio(auto.filter((r) => r.verdict === 'succeeded').length, auto.length),
    autoApplyTrueSuccessRate: ratio(auto.filter((r) => r.fault.fixed).length, auto.length),
    autoRuns: { succeeded: auto.filter((r) => r.verdict === 'succeeded').length, withVerdict: auto.length },
    verifiedPrecision: ratio(succeeded.filter((r) => r.fault.fixed).length, succeeded.length),
    verified: { succeeded: succeeded.length, reallyFixed: succeeded.filter((r) => r.fault.fixed).length },
    failedButFixed: runs.filter((r) => r.verdict === 'failed' && r.fault.fixed).length,
    missedFixes: good,
    mttrMs: {
      byRuns: mttr(incidents.filter((i) => resolvedBy(i) !== 'operator')),
      byOperator: mttr(incidents.filter((i) => resolvedBy(i) === 'operator')),
    },
    incidents: {
      total: incidents.length,
      resolvedByRun: incidents.filter((i) => resolvedBy(i) === 'run').length,
      resolvedByMonitoring: incidents.filter((i) => resolvedBy(i) === 'monitoring').length,
      resolvedByOperator: incidents.filter((i) => resolvedBy(i) === 'operator').length,
    },
    monitoring,
    receiver,
    targets: [],
  };
  result.targets = judge(result, patchWindow);
  return result;
}

const WARM_UP = 4;
const FEW = 5;

/** The issue's targets (issue 22, "the simulation judges the judge"). */
function judge(r: SelfHealingResult, patchWindow: number): SelfHealingResult['targets'] {
  const kind = (id: string) => r.kinds.find((k) => k.id === id)!;
  const afterWarmUp = (k: KindResult) => k.timeline.slice(WARM_UP);
  const reliable = ['oom', 'rate-limit', 'gateway-timeout'].map(kind);
  const reliableAuto =
    reliable.reduce((a, k) => a + afterWarmUp(k).filter((t) => t.decision === 'auto').length, 0) /
    reliable.reduce((a, k) => a + afterWarmUp(k).length, 0);
  const flaky = kind('timeout');
  const improving = kind('db-driver').timeline.filter((t) => t.window >= patchWindow);
  const back = improving.findIndex((t) => t.decision === 'auto');
  const pct = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  return [
    {
      target: 'auto-apply success ≥ 0.93',
      value: pct(r.autoApplySuccessRate),
      met: (r.autoApplySuccessRate ?? 0) >= 0.93,
    },
    { target: 'verified precision ≥ 0.98', value: pct(r.verifiedPrecision), met: (r.verifiedPrecision ?? 0) >= 0.98 },
    {
      target: `0.98 fixes auto-applied on ≥ 90 % of their faults after the first ${WARM_UP}`,
      value: pct(reliableAuto),
      met: reliableAuto >= 0.9,
    },
    {
      target: `0.6 fix auto-applied on no more than its first ${FEW} faults`,
      value: `at faults ${flaky.autoAt.join(', ') || 'none'}`,
      met: flaky.autoAt.every((i) => i <= FEW),
    },
    {
      target: 'improving fix back to auto-apply within 10 faults of the patch',
      value: back === -1 ? 'never' : `at fault ${back + 1} after the patch`,
      met: back !== -1 && back + 1 <= 10,
    },
  ];
}

function summary(xs: number[]): Mttr {
  if (xs.length === 0) return { count: 0, avg: null, p50: null, max: null };
  const s = [...xs].sort((a, b) => a - b);
  return {
    count: s.length,
    avg: Math.round(s.reduce((a, b) => a + b, 0) / s.length),
    p50: s[Math.floor((s.length - 1) / 2)]!,
    max: s[s.length - 1]!,
  };
}
