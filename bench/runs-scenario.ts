/**
 * `BENCH_SCENARIO=runs`: the loop at its usual rate with recovery runs enabled (DESIGN §8).
 * Before the measured offering (after the warm-up has founded the patterns), the bench tenant
 * gets an `ops` actuator pointing at a local signed-webhook receiver (ops-receiver.worker.ts) and
 * every pattern gets an auto-apply template, so most measured incidents start a run of four
 * signed calls (memory_cleanup: three webhooks, one check) and a verify window. After the loop's
 * drain the bench waits for those runs and measures them from `recovery_runs`.
 */
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { OpsReceiverCounts } from '../simulation/ops-receiver.js';
import { tagBenchClient } from './pg-count.js';
import { sleep, summarise, type Summary } from './stats.js';

/** Every pattern gets the same playbook: four actuator calls, no waits (the shipped waits are seconds long). */
export const RUNS_PLAYBOOK = 'memory_cleanup';

export interface ReceiverWorker {
  url: string;
  setSecret(secret: string): void;
  counts(): Promise<OpsReceiverCounts>;
  terminate(): Promise<void>;
}

export async function startReceiverWorker(): Promise<ReceiverWorker> {
  const worker = new Worker(new URL('./ops-receiver.worker.js', import.meta.url), { name: 'bench-ops-receiver' });
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
export async function prepareRuns(baseUrl: string, platformAdminKey: string, tenantId: string, receiver: ReceiverWorker): Promise<{ patterns: number }> {
  const { key } = await call<{ key: string }>(baseUrl, platformAdminKey, 'POST', '/admin/api-keys', { tenantId, name: `bench runs ${tenantId}`, role: 'admin' });
  const { secret } = await call<{ secret: string }>(baseUrl, key, 'PUT', '/actuators/ops', { url: `${receiver.url}/ops`, timeoutMs: 5000 });
  receiver.setSecret(secret);
  let patterns = 0;
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ id: string }>; nextCursor: string | null } = await call(baseUrl, key, 'GET', `/catalog/patterns?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const p of page.items) {
      await call(baseUrl, key, 'PATCH', `/catalog/patterns/${p.id}`, { recoveryTemplate: { playbookId: RUNS_PLAYBOOK, confidence: 0.99, params: {} }, autoApplyRecovery: true });
      patterns++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { patterns };
}

const MEASURED = `NOT i.context ? 'benchWarmup'`;

/** Waits until every run of the tenant's measured incidents is done, or the deadline passes; returns how many are not. */
export async function waitForRuns(dbUrl: string, tenantId: string, timeoutS: number, log: (line: string) => void): Promise<number> {
  const c = tagBenchClient(new pg.Client({ connectionString: dbUrl }));
  await c.connect();
  try {
    const deadline = Date.now() + timeoutS * 1000;
    let lastLog = 0;
    for (;;) {
      const [row] = (await c.query(`SELECT count(*)::int AS n FROM recovery_runs r JOIN incidents i ON i.id = r.incident_id WHERE r.tenant_id = $1 AND r.phase <> 'done' AND ${MEASURED}`, [tenantId])).rows;
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
  stepsMs: Summary;
  receiver: OpsReceiverCounts | null;
  failReasons: Array<{ reason: string; n: number }>;
}

export async function runsFigures(
  dbUrl: string,
  tenantId: string,
  extra: { patterns: number; verifyWindowMs: number | null; concurrency: number | null; receiver: OpsReceiverCounts | null; notDone: number },
): Promise<RunsFigures> {
  const c = tagBenchClient(new pg.Client({ connectionString: dbUrl }));
  await c.connect();
  try {
    const [inc] = (await c.query(`SELECT count(*)::int AS n, min(created_at) AS first, max(created_at) AS last FROM incidents i WHERE i.tenant_id = $1 AND ${MEASURED}`, [tenantId])).rows;
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
      status: string; phase: string; reason: string | null; incident_at: Date; created_at: Date;
      started_at: Date | null; finished_at: Date | null; verify_until: Date | null;
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
    const vals = (f: (r: (typeof runs)[number]) => number | null, rows = runs) => rows.map(f).filter((x): x is number => x !== null);
    const lastFinished = done.reduce((m, r) => Math.max(m, r.finished_at!.getTime()), 0);
    const first = inc.first ? (inc.first as Date).getTime() : null;
    const last = inc.last ? (inc.last as Date).getTime() : null;
    const windowMs = extra.verifyWindowMs ?? 0;
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
      runsPerSWhileOffering: first && last && last > first ? done.filter((r) => r.finished_at!.getTime() <= last).length / ((last - first) / 1000) : null,
      incidentToVerifiedMs: summarise(vals((r) => ms(r.incident_at, r.finished_at), ok)),
      incidentToRunMs: summarise(vals((r) => ms(r.incident_at, r.created_at))),
      queuedMs: summarise(vals((r) => ms(r.created_at, r.started_at))),
      // Started → checks passed: the watch began verify window before verify_until.
      stepsMs: summarise(vals((r) => (r.started_at && r.verify_until ? r.verify_until.getTime() - windowMs - r.started_at.getTime() : null), ok)),
      receiver: extra.receiver,
      failReasons: [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([reason, n]) => ({ reason, n })),
    };
  } finally {
    await c.end();
  }
}
