import { AGENTS, outcome, planRequests, SEEDED_FAILURES, type PlannedRequest } from './fleet.js';

export interface SimulationOptions {
  baseUrl: string;
  /** An admin key of the tenant this run uses (one tenant per run). */
  apiKey: string;
  seed: number;
  windows: number;
  requestsPerWindow: number;
  /** A reviewer approves queued recoveries and promotes their draft policies at the end of every window (loop on only). */
  approveRecoveries: boolean;
  onWindow?: (w: WindowResult) => void;
}

export interface WindowResult {
  window: number;
  requests: number;
  unrouted: number;
  incidents: number;
  /** Incidents per 100 requests. */
  incidentRate: number;
}

export interface FailureResult {
  id: string;
  agentId: string;
  capability: string;
  /** First window at whose end the failure's policy was active; null if it never was. */
  policyActiveFromWindow: number | null;
  /** Incidents of this failure per request of its capability. */
  repeatRateBefore: number;
  repeatRateAfter: number | null;
  /** 1 − after/before: the share of repeats the active policy prevented. */
  drop: number | null;
}

export interface SimulationResult {
  windows: WindowResult[];
  failures: FailureResult[];
  totalRequests: number;
  totalIncidents: number;
}

/** A tenant's API over HTTP; also used by the self-healing half. */
export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(check: () => Promise<T | null>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`simulation: timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface LoopStatus {
  state: string;
  isComplete: boolean;
}
interface StageDetail {
  stage: string;
  completedAt: string | null;
}

/**
 * Runs the seeded fleet against a live service: every request is routed through
 * `POST /routing/route`, and failures are reported through `POST /incidents` at the end of
 * their window. Windows are processed in lock-step (each window's loops settle before the next
 * begins), so a run is reproducible whatever the machine's speed.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const api = new Api(o.baseUrl, o.apiKey);
  for (const agent of AGENTS) {
    await api.call('PUT', `/routing/agents/${agent.id}`, {
      capabilities: agent.capabilities,
      baseConfidence: agent.baseConfidence,
    });
  }
  const plan = planRequests(o.seed, o.windows, o.requestsPerWindow);
  const windows: WindowResult[] = [];
  // Per seeded failure: repeats and capability requests per window, and its policy's pattern.
  const perFailure = new Map(
    SEEDED_FAILURES.map((f) => [
      f.id,
      {
        repeats: [] as number[],
        requests: [] as number[],
        patternId: null as string | null,
        activeFrom: null as number | null,
      },
    ]),
  );

  for (let w = 0; w < plan.length; w++) {
    const reports: Array<{
      request: PlannedRequest;
      agentId: string;
      errorType: string;
      message: string;
      failureId: string | null;
    }> = [];
    let unrouted = 0;
    for (const request of plan[w]) {
      const route = await api.call<{ agentId: string | null }>('POST', '/routing/route', {
        capability: request.capability,
        candidates: request.candidates,
      });
      if (!route.agentId) {
        unrouted++;
        continue;
      }
      const result = outcome(route.agentId, request);
      if (result)
        reports.push({
          request,
          agentId: route.agentId,
          errorType: result.errorType,
          message: result.message,
          failureId: result.failure?.id ?? null,
        });
    }
    // Incidents are reported at the end of the window, so routing within a window does not depend on timing.
    const incidentIds: Array<{ id: string; failureId: string | null }> = [];
    for (const r of reports) {
      const incident = await api.call<{ id: string }>('POST', '/incidents', {
        errorType: r.errorType,
        message: r.message,
        agentId: r.agentId,
        capability: r.request.capability,
      });
      incidentIds.push({ id: incident.id, failureId: r.failureId });
    }
    // Settle: each loop completes (loop on) or stops held (loop off).
    for (const { id } of incidentIds) {
      await until(async () => {
        const s = await api.call<LoopStatus>('GET', `/integration/loop/${id}`);
        return s.isComplete || s.state === 'held' || s.state === 'failed' ? s : null;
      }, `loop of incident ${id}`);
    }
    if (o.approveRecoveries) await approveQueued(api);

    for (const f of SEEDED_FAILURES) {
      const stats = perFailure.get(f.id)!;
      stats.requests.push(plan[w].filter((r) => r.capability === f.capability).length);
      stats.repeats.push(reports.filter((r) => r.failureId === f.id).length);
      const mine = incidentIds.find((i) => i.failureId === f.id);
      if (!stats.patternId && mine)
        stats.patternId = (
          await api.call<{ matchedPatternId: string | null }>('GET', `/incidents/${mine.id}`)
        ).matchedPatternId;
      if (stats.patternId && stats.activeFrom === null) {
        const policies = await api.call<{ items: Array<{ status: string }> }>(
          'GET',
          `/policies?sourcePatternId=${stats.patternId}`,
        );
        if (policies.items.some((p) => p.status === 'active')) stats.activeFrom = w;
      }
    }
    const result: WindowResult = {
      window: w + 1,
      requests: plan[w].length,
      unrouted,
      incidents: reports.length,
      incidentRate: Math.round((reports.length / plan[w].length) * 1000) / 10,
    };
    windows.push(result);
    o.onWindow?.(result);
  }

  const rate = (repeats: number[], requests: number[]) => {
    const total = requests.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : repeats.reduce((a, b) => a + b, 0) / total;
  };
  const failures = SEEDED_FAILURES.map((f): FailureResult => {
    const s = perFailure.get(f.id)!;
    // "After" starts with the first window that began with the policy already active.
    const split = s.activeFrom === null ? s.repeats.length : s.activeFrom + 1;
    const before = rate(s.repeats.slice(0, split), s.requests.slice(0, split));
    const after = split < s.repeats.length ? rate(s.repeats.slice(split), s.requests.slice(split)) : null;
    return {
      id: f.id,
      agentId: f.agentId,
      capability: f.capability,
      policyActiveFromWindow: s.activeFrom === null ? null : s.activeFrom + 1,
      repeatRateBefore: round4(before),
      repeatRateAfter: after === null ? null : round4(after),
      drop: after === null || before === 0 ? null : round4(1 - after / before),
    };
  });
  return {
    windows,
    failures,
    totalRequests: windows.reduce((a, w) => a + w.requests, 0),
    totalIncidents: windows.reduce((a, w) => a + w.incidents, 0),
  };
}

/**
 * The human in the loop: approve every queued recovery and promote its pattern's draft policy,
 * then wait for routing to follow (the re-derived policy, then lasting adjustments).
 */
async function approveQueued(api: Api): Promise<void> {
  const queued = await api.call<{ items: Array<{ id: string; incidentId: string; patternId: string }> }>(
    'GET',
    '/recoveries?status=pending_review&limit=200',
  );
  for (const r of queued.items) {
    const approvedAt = Date.now();
    await api.call('POST', `/recoveries/${r.id}/approve`, {});
    await until(async () => {
      const stages = await api.call<StageDetail[]>('GET', `/integration/loop/${r.incidentId}/stages`);
      const routed = stages.find((s) => s.stage === 'routing_adjusted')?.completedAt;
      return routed && Date.parse(routed) >= approvedAt - 5 ? true : null;
    }, `routing after approving recovery ${r.id}`);
    const policies = await api.call<{ items: Array<{ id: string; status: string }> }>(
      'GET',
      `/policies?sourcePatternId=${r.patternId}`,
    );
    for (const policy of policies.items.filter((p) => p.status === 'draft')) {
      await api.call('POST', `/policies/${policy.id}/activate`, {});
      await until(async () => {
        const adjustments = await api.call<{ items: Array<{ expiresAt: string | null }> }>(
          'GET',
          `/routing/adjustments?policyId=${policy.id}`,
        );
        return adjustments.items.every((a) => a.expiresAt === null) ? true : null;
      }, `lasting adjustments of policy ${policy.id}`);
    }
  }
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
