import { generateWebhookSecret, signWebhook } from '../src/platform/crypto/webhook-signature.js';
import { mulberry32 } from '../test/fixtures/error-corpus.js';
import { checkBody, startOpsReceiver, type OpsCall } from './ops-receiver.js';
import { Api, until } from './run-simulation.js';

/**
 * The self-healing half of `npm run simulate` (DESIGN §8): a seeded fleet whose failures each
 * have a pattern with an auto-apply template, an `ops` actuator that is a real signed-webhook
 * receiver, and a hidden per-playbook reliability deciding whether a fix works. It shows the
 * loop learning: a template's confidence follows its runs' verified success rate, and a fix that
 * keeps failing drops to review.
 */

export interface HealingKind {
  id: string;
  errorType: string;
  capability: string;
  playbookId: string;
  /** Hidden from the service: the probability that this playbook's fix works. */
  reliability: number;
  /** Template params: short waits, so a run takes well under a second. */
  params: Record<string, unknown>;
  message: (n: number) => string;
}

export const HEALING_KINDS: HealingKind[] = [
  {
    id: 'oom', errorType: 'OutOfMemoryError', capability: 'summarise', playbookId: 'memory_cleanup', reliability: 0.97, params: {},
    message: (n) => `Worker pod summarise-${n} OOMKilled: container exceeded memory limit 2048Mi`,
  },
  {
    id: 'rate-limit', errorType: 'RateLimitError', capability: 'translate', playbookId: 'backoff_and_route_away', reliability: 0.95, params: { backoffMs: 50 },
    message: (n) => `HTTP 429 from translate-upstream: rate limit exceeded for key tk-${n}`,
  },
  {
    id: 'conn-reset', errorType: 'ConnectionResetError', capability: 'extract', playbookId: 'reconnect', reliability: 0.9, params: { reconnectDelayMs: 50 },
    message: (n) => `ECONNRESET: connection to feature-db-${n % 5}:5432 reset by peer after ${1000 + n} ms`,
  },
  {
    id: 'timeout', errorType: 'TimeoutError', capability: 'classify', playbookId: 'retry_with_backoff', reliability: 0.6, params: {},
    message: (n) => `upstream label-store-${n % 7} timed out after ${1000 + n} ms`,
  },
];

/** Agents take turns, so two incidents of one pattern never land on one agent while a run watches for a recurrence. */
const AGENTS = ['agent-h1', 'agent-h2', 'agent-h3', 'agent-h4', 'agent-h5'];

export interface SelfHealingOptions {
  baseUrl: string;
  /** An admin key of the tenant this half uses. */
  apiKey: string;
  seed: number;
  windows: number;
  /** A reviewer approves queued recoveries at the end of each window (their runs count toward the template's confidence too). */
  approveQueued: boolean;
  onWindow?: (window: number) => void;
}

interface Planned {
  window: number;
  kind: HealingKind;
  /** The fix works when luck < the playbook's reliability. */
  luck: number;
  /** How a failing fix shows: the first step answers {"status":"failed"}, or the verify check reads unhealthy. */
  failsAt: 'step' | 'check';
  n: number;
}

export interface KindResult {
  id: string;
  playbookId: string;
  reliability: number;
  patternId: string;
  /** Per window: the recovery's confidence and whether it was auto-applied ('auto') or queued for review ('review'). */
  timeline: Array<{ window: number; confidence: number; decision: 'auto' | 'review' }>;
  autoApplied: number;
  queuedForReview: number;
  /** First window (1-based) whose recovery went to review; null: always auto-applied. */
  firstReviewWindow: number | null;
  runs: { succeeded: number; finished: number; automaticSucceeded: number; automaticFinished: number };
}

export interface SelfHealingResult {
  kinds: KindResult[];
  /** Auto-applied runs that succeeded ÷ auto-applied runs finished (DESIGN §8's autoApplySuccessRate). */
  autoApplySuccessRate: number | null;
  autoRuns: { succeeded: number; finished: number; byStatus: Record<string, number> };
  mttrMs: { auto: Mttr; reviewed: Mttr };
  incidents: { total: number; resolved: number };
  receiver: { verified: number; rejected: number; repeats: number; forgedRefused: boolean };
  /** Manual rollback steps the simulated operator marked done (a failed run is not done before). */
  rollbackStepsDoneByOperator: number;
}

export interface Mttr {
  count: number;
  avg: number | null;
  p50: number | null;
  max: number | null;
}

interface Recovery { id: string; incidentId: string; patternId: string; confidence: number; status: string; decidedBy: string | null }
interface Run {
  id: string;
  status: string;
  phase: string;
  automatic: boolean;
  incidentId: string;
  finishedAt: string | null;
  steps: Array<{ id: string; status: string }>;
}
interface Incident {
  id: string;
  matchedPatternId: string | null;
  occurredAt: string;
  resolvedAt: string | null;
  status: string;
}


function plan(seed: number, windows: number): Planned[][] {
  const random = mulberry32(seed ^ 0x2f6b);
  return Array.from({ length: windows }, (_, w) =>
    HEALING_KINDS.map((kind) => ({ window: w, kind, luck: random(), failsAt: random() < 0.5 ? 'step' : 'check', n: Math.floor(random() * 100_000) }) as Planned),
  );
}

export async function runSelfHealing(o: SelfHealingOptions): Promise<SelfHealingResult> {
  const api = new Api(o.baseUrl, o.apiKey);
  const byIncident = new Map<string, Planned>();
  const firstCallOfRun = new Set<string>();

  // The hidden reliability lives only here, in the actuator's answers.
  const receiver = await startOpsReceiver(async (call: OpsCall) => {
    const incidentId = call.incident?.id ?? '';
    // The run can start before POST /incidents has answered the simulation: wait for the id.
    const p = await until(async () => byIncident.get(incidentId) ?? null, `the plan of incident ${incidentId}`, 5000);
    const works = p.luck < p.kind.reliability;
    const first = !firstCallOfRun.has(call.runId);
    firstCallOfRun.add(call.runId);
    if (call.kind === 'check') return { status: 200, body: checkBody(works || p.failsAt !== 'check') };
    // Only the run's first call fails, so a failed run's rollback steps succeed.
    if (!works && p.failsAt === 'step' && first) return { status: 200, body: { status: 'failed', error: `${call.params.action} did not help` } };
    return { status: 200, body: { ok: true } };
  });
  try {
    const { secret } = await api.call<{ secret: string }>('PUT', '/actuators/ops', { url: `${receiver.url}/ops`, timeoutMs: 2000 });
    receiver.setSecret(secret);
    const forgedRefused = await refusesForgedCalls(receiver.url);
    const rejectedBefore = receiver.counts.rejected;

    const planned = plan(o.seed, o.windows);
    const patternOf = await foundPatterns(api);
    const operator = { rollbackStepsDone: 0 };

    for (const window of planned) {
      const ids: string[] = [];
      for (const p of window) {
        const agentId = AGENTS[(p.window + HEALING_KINDS.indexOf(p.kind)) % AGENTS.length];
        const incident = await api.call<{ id: string }>('POST', '/incidents', { errorType: p.kind.errorType, message: p.kind.message(p.n), agentId, capability: p.kind.capability });
        byIncident.set(incident.id, p);
        ids.push(incident.id);
      }
      const recoveries = await Promise.all(ids.map((id) => until(async () => (await api.call<{ items: Recovery[] }>('GET', `/recoveries?incidentId=${id}`)).items[0] ?? null, `a recovery for incident ${id}`)));
      const withRun: string[] = [];
      for (const [i, r] of recoveries.entries()) {
        const kind = window[i].kind;
        if (patternOf.get(kind.id) !== r.patternId) throw new Error(`simulation: incident ${r.incidentId} of ${kind.id} matched pattern ${r.patternId}, not ${patternOf.get(kind.id)}`);
        if (r.status === 'applied') withRun.push(r.incidentId);
        else if (r.status === 'pending_review' && o.approveQueued) {
          await api.call('POST', `/recoveries/${r.id}/approve`, { note: 'simulation reviewer' });
          withRun.push(r.incidentId);
        }
      }
      // Lock-step: the window's runs are done before the next window, so each suggestion sees every earlier verdict.
      await Promise.all(withRun.map((id) => until(() => settle(api, id, operator), `the run of incident ${id}`)));
      o.onWindow?.(planned.indexOf(window) + 1);
    }

    return await collect(api, planned, patternOf, byIncident, {
      verified: receiver.counts.verified, rejected: receiver.counts.rejected - rejectedBefore, repeats: receiver.counts.repeats, forgedRefused,
    }, operator.rollbackStepsDone);
  } finally {
    await receiver.close();
  }
}

/**
 * One founding incident per kind creates its pattern; an admin then gives the pattern an
 * auto-apply template, and an operator resolves the founding incident (it is left out of every
 * figure: its recovery was suggested before there was a template, with the catalog's long waits).
 */
async function foundPatterns(api: Api): Promise<Map<string, string>> {
  const patternOf = new Map<string, string>();
  for (const kind of HEALING_KINDS) {
    const incident = await api.call<{ id: string }>('POST', '/incidents', { errorType: kind.errorType, message: kind.message(424242), agentId: 'agent-h0', capability: kind.capability });
    const recovery = await until(async () => (await api.call<{ items: Recovery[] }>('GET', `/recoveries?incidentId=${incident.id}`)).items[0] ?? null, `a recovery for incident ${incident.id}`);
    await api.call('PATCH', `/catalog/patterns/${recovery.patternId}`, { recoveryTemplate: { playbookId: kind.playbookId, confidence: 0.95, params: kind.params }, autoApplyRecovery: true });
    await api.call('POST', `/incidents/${incident.id}/resolve`, { note: 'founding incident of the simulation' });
    patternOf.set(kind.id, recovery.patternId);
  }
  return patternOf;
}

/**
 * The incident's run once it is done (phase `done`), else null. A failed run whose rollback has a
 * manual step (reconnect's check_dependency) waits for an operator: the simulated one marks it done.
 * Until then the run reads `failed` but has no verdict, and the template's confidence ignores it.
 */
async function settle(api: Api, incidentId: string, operator: { rollbackStepsDone: number }): Promise<Run | null> {
  const run = (await api.call<{ items: Run[] }>('GET', `/runs?incidentId=${incidentId}`)).items[0];
  if (!run) return null;
  if (run.phase === 'done') return run;
  const waiting = run.phase === 'rollback' ? run.steps.find((s) => s.status === 'awaiting_operator') : undefined;
  if (waiting) {
    await api.call('POST', `/runs/${run.id}/steps/${waiting.id}/complete`, { outcome: 'succeeded', note: 'simulation operator: dependency checked' });
    operator.rollbackStepsDone++;
  }
  return null;
}

/** The receiver must refuse an unsigned call and one signed with another secret; those two are not counted as the engine's. */
async function refusesForgedCalls(url: string): Promise<boolean> {
  const body = JSON.stringify({ runId: 'forged', stepId: 'x', kind: 'webhook', params: {} });
  const ts = Math.floor(Date.now() / 1000);
  const unsigned = await fetch(`${url}/ops`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  const wrong = await fetch(`${url}/ops`, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', 'webhook-id': 'forged', 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(generateWebhookSecret(), 'forged', ts, body) },
  });
  return unsigned.status === 401 && wrong.status === 401;
}

async function listAll<T>(api: Api, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: T[]; nextCursor: string | null } = await api.call('GET', `${path}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function collect(
  api: Api, planned: Planned[][], patternOf: Map<string, string>, byIncident: Map<string, Planned>, receiver: SelfHealingResult['receiver'], rollbackStepsDone: number,
): Promise<SelfHealingResult> {
  const kinds: KindResult[] = [];
  const autoByStatus: Record<string, number> = {};
  const mttr = { auto: [] as number[], reviewed: [] as number[] };
  let resolved = 0;
  for (const kind of HEALING_KINDS) {
    const patternId = patternOf.get(kind.id)!;
    // The template's confidence as the service saw it at each suggestion: the recoveries' confidence.
    const recoveries = (await listAll<Recovery>(api, `/recoveries?patternId=${patternId}`)).filter((r) => byIncident.has(r.incidentId));
    const timeline = recoveries
      .map((r) => ({ window: byIncident.get(r.incidentId)!.window + 1, confidence: r.confidence, decision: (r.decidedBy === 'auto-apply' ? 'auto' : 'review') as 'auto' | 'review' }))
      .sort((a, b) => a.window - b.window);
    const runs = await listAll<Run>(api, `/runs?patternId=${patternId}`);
    const verdict = runs.filter((r) => r.phase === 'done' && r.status !== 'canceled');
    for (const r of runs.filter((x) => x.automatic)) autoByStatus[r.status] = (autoByStatus[r.status] ?? 0) + 1;
    for (const r of runs) {
      const incident = await api.call<Incident>('GET', `/incidents/${r.incidentId}`);
      if (!incident.resolvedAt) continue;
      resolved++;
      (r.automatic ? mttr.auto : mttr.reviewed).push(Date.parse(incident.resolvedAt) - Date.parse(incident.occurredAt));
    }
    const review = timeline.filter((t) => t.decision === 'review');
    kinds.push({
      id: kind.id, playbookId: kind.playbookId, reliability: kind.reliability, patternId, timeline,
      autoApplied: timeline.length - review.length, queuedForReview: review.length, firstReviewWindow: review[0]?.window ?? null,
      runs: {
        succeeded: verdict.filter((r) => r.status === 'succeeded').length, finished: verdict.length,
        automaticSucceeded: verdict.filter((r) => r.automatic && r.status === 'succeeded').length, automaticFinished: verdict.filter((r) => r.automatic).length,
      },
    });
  }
  const autoSucceeded = kinds.reduce((a, k) => a + k.runs.automaticSucceeded, 0);
  const autoFinished = kinds.reduce((a, k) => a + k.runs.automaticFinished, 0);
  return {
    kinds,
    autoApplySuccessRate: autoFinished === 0 ? null : autoSucceeded / autoFinished,
    autoRuns: { succeeded: autoSucceeded, finished: autoFinished, byStatus: autoByStatus },
    mttrMs: { auto: summary(mttr.auto), reviewed: summary(mttr.reviewed) },
    incidents: { total: planned.flat().length, resolved },
    receiver,
    rollbackStepsDoneByOperator: rollbackStepsDone,
  };
}

function summary(xs: number[]): Mttr {
  if (xs.length === 0) return { count: 0, avg: null, p50: null, max: null };
  const s = [...xs].sort((a, b) => a - b);
  return { count: s.length, avg: Math.round(s.reduce((a, b) => a + b, 0) / s.length), p50: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1] };
}
