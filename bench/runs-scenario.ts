/**
 * `BENCH_SCENARIO=runs`: the loop at its usual rate with recovery runs enabled (DESIGN §8).
 * Before the measured offering (after the warm-up has founded the patterns), the bench tenant
 * gets an `ops` actuator pointing at a local signed-webhook receiver (ops-receiver.worker.ts) and
 * every pattern gets an auto-apply template, so most measured incidents start a run of four
 * signed calls (memory_cleanup: three webhooks, one check) and a verify window. After the loop's
 * drain the bench waits for those runs and measures them from `recovery_runs`.
 *
 * Beside it, a noisy tenant (`BENCH_NOISY_RUNS`, issue 24): its `ops` actuator never answers, so
 * every call it gets lasts the actuator's whole timeout. Its runs (approved reviews of its own
 * incidents) start when the measured offering does; the measured tenant's engine queue is
 * reported apart from the noisy tenant's.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { OpsReceiverCounts } from '../simulation/ops-receiver.js';
import { RunEngine } from '../src/self-healing/runs/engine/run-engine.js';
import { centresBetween, costCentres, inCostCentre, tagBenchClient, type CentreCounts } from './pg-count.js';
import type { CpuSplit } from './sampler.js';
import { sleep, summarise, type Summary } from './stats.js';

/** Every pattern gets the same playbook: four actuator calls, no waits (the shipped waits are seconds long). */
export const RUNS_PLAYBOOK = 'memory_cleanup';

export interface ReceiverWorker {
  url: string;
  setSecret(secret: string): void;
  counts(): Promise<OpsReceiverCounts>;
  terminate(): Promise<void>;
}

/** `hang`: the receiver never answers (the noisy tenant's actuator). */
export async function startReceiverWorker(hang = false): Promise<ReceiverWorker> {
  const worker = new Worker(new URL('./ops-receiver.worker.js', import.meta.url), {
    name: hang ? 'bench-hanging-receiver' : 'bench-ops-receiver',
    workerData: { hang },
  });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { type: string; url: string }) => resolve(m.url));
  });
  return {
    url,
    setSecret: (secret) => worker.postMessage({ type: 'secret', secret }),
    counts: () =>
      new Promise((resolve) => {
        worker.once('message', (m: { counts: OpsReceiverCounts }) => resolve(m.counts));
        worker.postMessage({ type: 'counts' });
      }),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

async function call<T>(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} → HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The tenant's actuator and templates: an admin key of its own (the load's key is an operator's). */
export async function prepareRuns(
  baseUrl: string,
  platformAdminKey: string,
  tenantId: string,
  receiver: ReceiverWorker,
): Promise<{ patterns: number }> {
  const { key } = await call<{ key: string }>(baseUrl, platformAdminKey, 'POST', '/admin/api-keys', {
    tenantId,
    name: `bench runs ${tenantId}`,
    role: 'admin',
  });
  const { secret } = await call<{ secret: string }>(baseUrl, key, 'PUT', '/actuators/ops', {
    url: `${receiver.url}/ops`,
    timeoutMs: 5000,
  });
  receiver.setSecret(secret);
  let patterns = 0;
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ id: string }>; nextCursor: string | null } = await call(
      baseUrl,
      key,
      'GET',
      `/catalog/patterns?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const p of page.items) {
      await call(baseUrl, key, 'PATCH', `/catalog/patterns/${p.id}`, {
        recoveryTemplate: { playbookId: RUNS_PLAYBOOK, confidence: 0.99, params: {} },
        autoApplyRecovery: true,
      });
      patterns++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { patterns };
}

const MEASURED = `NOT i.context ? 'benchWarmup'`;

/** The noisy tenant: its keys, and the recoveries waiting for review that `start` approves. */
export interface NoisyTenant {
  tenantId: string;
  timeoutMs: number;
  /** Approves every recovery at once: their runs start, and every call they make hangs. Returns the run ids. */
  start(): Promise<string[]>;
}

/**
 * A tenant whose `ops` actuator hangs: `runs` incidents of one memory pattern on as many agents,
 * each with a recovery waiting for review (no template, no auto-apply), approved together by `start`.
 */
export async function prepareNoisyTenant(
  baseUrl: string,
  platformAdminKey: string,
  tenantId: string,
  receiver: ReceiverWorker,
  runs: number,
  timeoutMs: number,
): Promise<NoisyTenant> {
  const keyOf = async (role: string) =>
    (
      await call<{ key: string }>(baseUrl, platformAdminKey, 'POST', '/admin/api-keys', {
        tenantId,
        name: `bench noisy ${role}`,
        role,
      })
    ).key;
  const [admin, operator] = [await keyOf('admin'), await keyOf('operator')];
  const { secret } = await call<{ secret: string }>(baseUrl, admin, 'PUT', '/actuators/ops', {
    url: `${receiver.url}/ops`,
    timeoutMs,
  });
  receiver.setSecret(secret);
  const incidents: string[] = [];
  for (let i = 0; i < runs; i++) {
    const body = {
      errorType: 'OutOfMemoryError',
      message: `Worker pod noisy-${i} OOMKilled: container exceeded memory limit 2048Mi`,
      agentId: `noisy-agent-${i}`,
      capability: 'ingest',
      severity: 'high',
    };
    incidents.push((await call<{ id: string }>(baseUrl, operator, 'POST', '/incidents', body)).id);
  }
  const recoveries: string[] = [];
  const deadline = Date.now() + 60_000;
  for (const incidentId of incidents) {
    for (;;) {
      const page = await call<{ items: Array<{ id: string; status: string }> }>(
        baseUrl,
        operator,
        'GET',
        `/recoveries?incidentId=${incidentId}`,
      );
      const pending = page.items.find((r) => r.status === 'pending_review');
      if (pending) {
        recoveries.push(pending.id);
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`noisy tenant: no recovery to review for incident ${incidentId} within 60 s`);
      await sleep(100);
    }
  }
  return {
    tenantId,
    timeoutMs,
    start: async () => {
      const started = await Promise.all(
        recoveries.map((id) =>
          call<{ id: string }>(baseUrl, operator, 'POST', `/recoveries/${id}/approve`, { note: 'bench: noisy tenant' }),
        ),
      );
      return started.map((r) => r.id);
    },
  };
}

/**
 * Counts the run engine's SQL apart (pg-count.ts cost centres): its claims, its turns (a claimed
 * run moved on: the deciding transaction, the call, the transaction that stores the answer, …; the
 * noisy tenant's runs apart, told by tenant: a run handed to the engine as it is stored is worked on
 * before its id is known here) and its look-ups of the next due time.
 */
export function instrumentRunEngine(app: INestApplicationContext, noisyTenants: Set<string>): void {
  const engine = app.get(RunEngine, { strict: false }) as unknown as {
    pump: { source: Record<string, (...args: unknown[]) => unknown> };
  };
  const source = engine.pump.source;
  const wrap = (key: string, centreOf: (args: unknown[]) => string) => {
    const original = source[key];
    if (original) source[key] = (...args: unknown[]) => inCostCentre(centreOf(args), () => original(...args));
  };
  wrap('claim', () => 'engine: claims');
  wrap('release', () => 'engine: claims');
  wrap('msUntilNextDue', () => 'engine: next due');
  wrap('work', ([item]) =>
    noisyTenants.has((item as { tenant_id: string }).tenant_id) ? 'engine: turns (noisy tenant)' : 'engine: turns',
  );
}

export { costCentres };

export interface Cost {
  statements: number;
  transactions: number;
  writingTransactions: number;
}

/** The engine's cost per measured run, from the cost centres counted between two moments. */
export interface RunCost {
  runs: number;
  noisyRuns: number;
  /** Turns and claims, per measured run. */
  total: Cost;
  /** The measured tenant's turns, per measured run. */
  turns: Cost;
  /** Claims and next-due look-ups, per run of either tenant. */
  claims: Cost;
  /** The noisy tenant's turns, per noisy run. */
  noisyTurns: Cost | null;
  /** The measured tenant's turns: statements per run by SQL text, most first. */
  topStatements: Array<{ sql: string; perRun: number }>;
}

export function runCost(
  before: Map<string, CentreCounts>,
  after: Map<string, CentreCounts>,
  runs: number,
  noisyRuns: number,
): RunCost {
  const d = centresBetween(before, after);
  const none: CentreCounts = { statements: 0, transactions: 0, writingTransactions: 0, byText: new Map() };
  const per = (c: Cost, n: number): Cost => ({
    statements: c.statements / n,
    transactions: c.transactions / n,
    writingTransactions: c.writingTransactions / n,
  });
  const add = (a: Cost, b: Cost): Cost => ({
    statements: a.statements + b.statements,
    transactions: a.transactions + b.transactions,
    writingTransactions: a.writingTransactions + b.writingTransactions,
  });
  const turns = d.get('engine: turns') ?? none;
  const noisy = d.get('engine: turns (noisy tenant)') ?? none;
  const n = Math.max(1, runs);
  const claims = per(
    add(d.get('engine: claims') ?? none, d.get('engine: next due') ?? none),
    Math.max(1, runs + noisyRuns),
  );
  return {
    runs,
    noisyRuns,
    total: add(per(turns, n), claims),
    turns: per(turns, n),
    claims,
    noisyTurns: noisyRuns > 0 ? per(noisy, noisyRuns) : null,
    topStatements: [...turns.byText]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([sql, k]) => ({ sql, perRun: k / n })),
  };
}

/** How many runs of the tenant's measured incidents are done. */
export async function runsDone(dbUrl: string, tenantId: string): Promise<number> {
  const c = tagBenchClient(new pg.Client({ connectionString: dbUrl }));
  await c.connect();
  try {
    const [row] = (
      await c.query(
        `SELECT count(*)::int AS n FROM recovery_runs r JOIN incidents i ON i.id = r.incident_id WHERE r.tenant_id = $1 AND r.phase = 'done' AND ${MEASURED}`,
        [tenantId],
      )
    ).rows;
    return row.n as number;
  } finally {
    await c.end();
  }
}

/** Waits until every run of the tenant's measured incidents is done, or the deadline passes; returns how many are not. */
export async function waitForRuns(
  dbUrl: string,
  tenantId: string,
  timeoutS: number,
  log: (line: string) => void,
): Promise<number> {
  const c = tagBenchClient(new pg.Client({ connectionString: dbUrl }));
  await c.connect();
  try {
    const deadline = Date.now() + timeoutS * 1000;
    let lastLog = 0;
    for (;;) {
      const [row] = (
        await c.query(
          `SELECT count(*)::int AS n FROM recovery_runs r JOIN incidents i ON i.id = r.incident_id WHERE r.tenant_id = $1 AND r.phase <> 'done' AND ${MEASURED}`,
          [tenantId],
        )
      ).rows;
      if (row.n === 0 || Date.now() > deadline) return row.n;
      if (Date.now() - lastLog > 5000) {
        log(`bench: waiting for ${row.n} recovery runs to finish`);
        lastLog = Date.now();
      }
      await sleep(250);
    }
  } finally {
    await c.end();
  }
}

export interface RunsFigures {
  playbook: string;
  patternsWithTemplate: number;
  verifyWindowMs: number | null;
  engineConcurrency: number | null;
  measuredIncidents: number;
  autoApplied: number;
  queuedForReview: number;
  runs: number;
  byStatus: Record<string, number>;
  notDone: number;
  /** Runs finished ÷ (first measured incident → last run finished). */
  runsPerS: number | null;
  /** Runs finished while incidents were still being offered ÷ that span: the steady rate. */
  runsPerSWhileOffering: number | null;
  /** Incident stored → its run finished, succeeded runs only (includes the verify window). */
  incidentToVerifiedMs: Summary;
  /** The parts: incident → run inserted (loop up to bridge 2), run inserted → first claimed, steps and checks, checks passed → verified (the window). */
  incidentToRunMs: Summary;
  queuedMs: Summary;
  /** Run inserted → its first actuator call made (the call planned: the engine's queue, including any wait for a call slot). */
  firstCallMs: Summary;
  stepsMs: Summary;
  receiver: OpsReceiverCounts | null;
  noisy: NoisyFigures | null;
  cost: RunCost | null;
  failReasons: Array<{ reason: string; n: number }>;
  /** The engine alone, once the offering is over and the outbox stopped: runs it finished, and the CPU it took. */
  engineAlone: { runs: number; cpu: CpuSplit } | null;
}

/** The noisy tenant's runs when the measured ones were done. */
export interface NoisyFigures {
  tenantId: string;
  timeoutMs: number;
  runs: number;
  byStatus: Record<string, number>;
  /** Calls its hanging actuator received (each lasted the timeout, or is still open). */
  calls: number;
  queuedMs: Summary;
  firstCallMs: Summary;
}

/** Each run's insert → first claim and insert → first call, from its transitions. */
async function queueTimes(
  c: pg.Client,
  tenantId: string,
  measuredOnly: boolean,
): Promise<{ queuedMs: number[]; firstCallMs: number[]; byStatus: Record<string, number>; runs: number }> {
  const rows = (
    await c.query(
      `SELECT r.status, extract(epoch FROM r.started_at - r.created_at) * 1000 AS queued_ms,
              extract(epoch FROM (SELECT min(t.created_at) FROM recovery_run_transitions t
                                   WHERE t.run_id = r.id AND t.step_id IS NOT NULL AND t.to_status = 'running') - r.created_at) * 1000 AS first_call_ms
         FROM recovery_runs r ${measuredOnly ? 'JOIN incidents i ON i.id = r.incident_id' : ''}
        WHERE r.tenant_id = $1 ${measuredOnly ? `AND ${MEASURED}` : ''}`,
      [tenantId],
    )
  ).rows as Array<{ status: string; queued_ms: number | null; first_call_ms: number | null }>;
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const nums = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).map(Number);
  return {
    queuedMs: nums(rows.map((r) => r.queued_ms)),
    firstCallMs: nums(rows.map((r) => r.first_call_ms)),
    byStatus,
    runs: rows.length,
  };
}

export async function runsFigures(
  dbUrl: string,
  tenantId: string,
  extra: {
    patterns: number;
    verifyWindowMs: number | null;
    concurrency: number | null;
    receiver: OpsReceiverCounts | null;
    notDone: number;
    noisy: { tenantId: string; timeoutMs: number; receiver: OpsReceiverCounts } | null;
    cost: RunCost | null;
    engineAlone: RunsFigures['engineAlone'];
  },
): Promise<RunsFigures> {
  const c = tagBenchClient(new pg.Client({ connectionString: dbUrl }));
  await c.connect();
  try {
    const [inc] = (
      await c.query(
        `SELECT count(*)::int AS n, min(created_at) AS first, max(created_at) AS last FROM incidents i WHERE i.tenant_id = $1 AND ${MEASURED}`,
        [tenantId],
      )
    ).rows;
    const [rec] = (
      await c.query(
        `SELECT count(*) FILTER (WHERE c.decided_by = 'auto-apply')::int AS auto, count(*) FILTER (WHERE c.status = 'pending_review')::int AS review
           FROM recovery_candidates c JOIN incidents i ON i.id = c.source_incident_id WHERE c.tenant_id = $1 AND ${MEASURED}`,
        [tenantId],
      )
    ).rows;
    // The checks passed when the run entered its watch phase: the transition noting the watch.
    const runs = (
      await c.query(
        `SELECT r.status, r.phase, r.reason, i.created_at AS incident_at, r.created_at, r.started_at, r.finished_at, r.verify_until
           FROM recovery_runs r JOIN incidents i ON i.id = r.incident_id WHERE r.tenant_id = $1 AND ${MEASURED}`,
        [tenantId],
      )
    ).rows as Array<{
      status: string;
      phase: string;
      reason: string | null;
      incident_at: Date;
      created_at: Date;
      started_at: Date | null;
      finished_at: Date | null;
      verify_until: Date | null;
    }>;
    const byStatus: Record<string, number> = {};
    const reasons = new Map<string, number>();
    for (const r of runs) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      if (r.reason) {
        const key = r.reason.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…').slice(0, 100);
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
    }
    const done = runs.filter((r) => r.phase === 'done' && r.finished_at);
    const ok = done.filter((r) => r.status === 'succeeded');
    const ms = (a: Date | null, b: Date | null) => (a && b ? b.getTime() - a.getTime() : null);
    const vals = (f: (r: (typeof runs)[number]) => number | null, rows = runs) =>
      rows.map(f).filter((x): x is number => x !== null);
    const lastFinished = done.reduce((m, r) => Math.max(m, r.finished_at!.getTime()), 0);
    const first = inc.first ? (inc.first as Date).getTime() : null;
    const last = inc.last ? (inc.last as Date).getTime() : null;
    const windowMs = extra.verifyWindowMs ?? 0;
    const measuredQueue = await queueTimes(c, tenantId, true);
    let noisy: NoisyFigures | null = null;
    if (extra.noisy) {
      const q = await queueTimes(c, extra.noisy.tenantId, false);
      noisy = {
        tenantId: extra.noisy.tenantId,
        timeoutMs: extra.noisy.timeoutMs,
        runs: q.runs,
        byStatus: q.byStatus,
        calls: extra.noisy.receiver.verified,
        queuedMs: summarise(q.queuedMs),
        firstCallMs: summarise(q.firstCallMs),
      };
    }
    return {
      playbook: RUNS_PLAYBOOK,
      patternsWithTemplate: extra.patterns,
      verifyWindowMs: extra.verifyWindowMs,
      engineConcurrency: extra.concurrency,
      measuredIncidents: inc.n,
      autoApplied: rec.auto,
      queuedForReview: rec.review,
      runs: runs.length,
      byStatus,
      notDone: extra.notDone,
      runsPerS: first && lastFinished > first ? done.length / ((lastFinished - first) / 1000) : null,
      runsPerSWhileOffering:
        first && last && last > first
          ? done.filter((r) => r.finished_at!.getTime() <= last).length / ((last - first) / 1000)
          : null,
      incidentToVerifiedMs: summarise(vals((r) => ms(r.incident_at, r.finished_at), ok)),
      incidentToRunMs: summarise(vals((r) => ms(r.incident_at, r.created_at))),
      queuedMs: summarise(vals((r) => ms(r.created_at, r.started_at))),
      firstCallMs: summarise(measuredQueue.firstCallMs),
      // Started → checks passed: the watch began verify window before verify_until.
      stepsMs: summarise(
        vals(
          (r) => (r.started_at && r.verify_until ? r.verify_until.getTime() - windowMs - r.started_at.getTime() : null),
          ok,
        ),
      ),
      receiver: extra.receiver,
      noisy,
      cost: extra.cost,
      engineAlone: extra.engineAlone,
      failReasons: [...reasons.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([reason, n]) => ({ reason, n })),
    };
  } finally {
    await c.end();
  }
}
