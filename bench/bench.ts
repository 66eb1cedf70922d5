/**
 * `npm run bench` — the loop benchmark (see docs/BENCHMARKS.md for how to read the output).
 *
 * Starts the service in-process on an embedded PostgreSQL in a fresh temporary DATA_DIR (or
 * targets a running service), creates a fresh tenant, offers incidents on an open-loop
 * schedule while watching the tenant's SSE stream, then measures the same database's raw
 * commit rate, the transactions one loop costs and what an audit entry costs a transaction
 * (in-process: no entry / one tenant's chain / a chain per worker), runs the catalog-match micro-bench, and
 * prints one plain-text report (stdout; progress goes to stderr).
 *
 * Environment (all optional):
 *   BENCH_RATE=50                incidents offered per second
 *   BENCH_DURATION_S=60          seconds of offering
 *   BENCH_DRAIN_S=30             after offering, wait at most this long for loops to complete
 *   BENCH_WARMUP_S=0             first offer BENCH_WARMUP_RATE/s for this long and wait for those loops (left out
 *   BENCH_WARMUP_RATE=10         of every figure): a warm catalog and JIT instead of a cold start
 *   BENCH_MAX_INFLIGHT=256       HTTP requests in flight; an offer beyond it is dropped (= failed)
 *   BENCH_SOCKETS=64             keep-alive sockets of the HTTP agent
 *   BENCH_AGENTS=20              distinct agentIds (agent-001 …)
 *   BENCH_CAPABILITIES=8         distinct capabilities (≤ 12)
 *   BENCH_TEMPLATE_SKEW=0        0: every error-corpus template equally often; s > 0: Zipf(s)
 *   BENCH_SEED=20261124          seed of the message generator
 *   BENCH_REQUEST_TIMEOUT_MS=30000  per-request socket timeout
 *   BENCH_CROSSCHECK_MAX=2000    loops never reported on the stream that are looked up one by one
 *   BENCH_SAMPLE_DEPTH=true      scrape /metrics once a second for outbox_depth
 *   BENCH_COMMIT_CONNECTIONS     connections of the raw commit-rate probe (default: the app's DB_POOL_SIZE, 20)
 *   BENCH_COMMIT_S=5             seconds of the raw commit-rate probe
 *   BENCH_PG_SAMPLE_HZ=10        sample pg_stat_activity this often while offering (0: off) — where the database's time goes
 *   BENCH_CATALOG=true           also run the micro-benches: catalog match (10 000 patterns), policy evaluation, Alertmanager intake (1 000 alerts)
 *   BENCH_JSON=path              also write every figure as JSON to this file
 *   BENCH_SCENARIO=loop          loop: the five-stage loop alone; runs: the same load with recovery runs enabled
 *                                (an `ops` actuator on a local signed-webhook receiver, an auto-apply template on
 *                                every pattern the warm-up founded; in-process only; warm-up defaults to 15 s)
 *   BENCH_VERIFY_WINDOW_MS=500   runs: the app's RECOVERY_VERIFY_WINDOW_MS
 *   BENCH_RUNS_DRAIN_S=60        runs: after the loop's drain, wait at most this long for the runs to finish
 *   BENCH_NOISY_RUNS=48          runs: runs of a second, noisy tenant whose actuator never answers, started with the
 *                                measured offering (0: none)
 *   BENCH_NOISY_TIMEOUT_MS=8000  runs: the noisy tenant's actuator timeout (each of its calls lasts this long)
 *   BENCH_URL                    target this running service instead of starting one
 *   BENCH_API_KEY                with BENCH_URL (required): a platform-admin key, to create the bench tenant's key
 *   BENCH_DATABASE_URL           with BENCH_URL (optional): the service's database, for the commit-rate
 *                                probe and the transaction counts (skipped with a note without it)
 * In-process runs pass the app's own variables through (DB_POOL_SIZE, OUTBOX_CONCURRENCY, …) except
 * DATA_DIR, DATABASE_URL, PORT, HOST, LOG_LEVEL, EMBEDDED_PG_PORT and ADMIN_API_KEY, which the bench sets.
 * They also count the app's SQL statements (a counting wrapper on pg.Client.prototype.query) and stop
 * the app's outbox relay at the drain deadline, so the counters and the commit-rate probe that follow
 * see this run's finished work on an otherwise idle database.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startApp, type RunningApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/platform/config/config.js';
import { OutboxRelay } from '../src/platform/outbox/outbox.relay.js';
import { runAlertmanagerIntakeBench, type AlertmanagerIntakeResult } from './alertmanager-intake.bench.js';
import { runAuditAppendBench, type AuditAppendResult } from './audit-append.js';
import { runCatalogMatchBench, type CatalogMatchBenchResult } from './catalog-match.bench.js';
import {
  auditEntriesPerIncident,
  dbCounters,
  measureCommitRate,
  outboxBacklog,
  serverSettings,
  startActivitySampler,
  tableHealth,
  tenantFigures,
  type TableHealth,
  type ActivityReport,
  walBytesBetween,
  type CommitRateResult,
  type DbCounters,
  type TenantFigures,
} from './db-probe.js';
import { EventLoopWatch, type EventLoopFigures } from './event-loop.js';
import type { LoadMessage, LoadParams, LoadProgress, LoadResult } from './loop-load.js';
import { measureMachineSpeed, type MachineSpeed } from './machine-speed.js';
import { installQueryCounter, queryCount } from './pg-count.js';
import { runPolicyEvaluateHttp, type PolicyEvaluateHttpResult } from './policy-evaluate-http.js';
import { runPolicyEvaluateBench } from './policy-evaluate.bench.js';
import {
  costCentres,
  instrumentRunEngine,
  prepareNoisyTenant,
  prepareRuns,
  runsDone,
  runCost,
  runsFigures,
  startReceiverWorker,
  waitForRuns,
  type Cost,
  type NoisyTenant,
  type ReceiverWorker,
  type RunsFigures,
} from './runs-scenario.js';
import { CpuSampler, type CpuSplit } from './sampler.js';
import { fmt, sleep } from './stats.js';

class BenchConfigError extends Error {}

/** Runs the engine must finish alone after the offering for its CPU per run to be printed. */
const ENGINE_ALONE_MIN_RUNS = 100;

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new BenchConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

function numEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new BenchConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  return n;
}

function boolEnv(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new BenchConfigError(`${name} must be true or false, got "${raw}"`);
}

interface Options {
  rate: number;
  durationS: number;
  drainS: number;
  warmupS: number;
  warmupRate: number;
  maxInflight: number;
  sockets: number;
  agents: number;
  capabilities: number;
  templateSkew: number;
  seed: number;
  requestTimeoutMs: number;
  crosscheckMax: number;
  sampleDepth: boolean;
  commitConnections: number | null;
  commitS: number;
  catalog: boolean;
  pgSampleHz: number;
  json: string | null;
  scenario: 'loop' | 'runs';
  verifyWindowMs: number;
  runsDrainS: number;
  noisyRuns: number;
  noisyTimeoutMs: number;
  url: string | null;
  apiKey: string | null;
  databaseUrl: string | null;
}

function readOptions(): Options {
  const url = process.env.BENCH_URL?.trim() || null;
  const apiKey = process.env.BENCH_API_KEY?.trim() || null;
  if (url && !apiKey)
    throw new BenchConfigError('BENCH_URL needs BENCH_API_KEY (a platform-admin key of that service)');
  if (url && !/^https?:\/\//.test(url)) throw new BenchConfigError(`BENCH_URL must be an http(s) URL, got "${url}"`);
  const scenario = (process.env.BENCH_SCENARIO?.trim() || 'loop') as Options['scenario'];
  if (!['loop', 'runs'].includes(scenario))
    throw new BenchConfigError(`BENCH_SCENARIO must be loop or runs, got "${scenario}"`);
  // The receiver is local to the bench and the verify window is the app's setting: both need the in-process app.
  if (scenario === 'runs' && url)
    throw new BenchConfigError('BENCH_SCENARIO=runs starts the service in-process; it cannot target BENCH_URL');
  return {
    scenario,
    verifyWindowMs: intEnv('BENCH_VERIFY_WINDOW_MS', 500, 0, 3_600_000),
    runsDrainS: numEnv('BENCH_RUNS_DRAIN_S', 60, 0, 3600),
    noisyRuns: scenario === 'runs' ? intEnv('BENCH_NOISY_RUNS', 48, 0, 10_000) : 0,
    noisyTimeoutMs: intEnv('BENCH_NOISY_TIMEOUT_MS', 8000, 100, 600_000),
    rate: numEnv('BENCH_RATE', 50, 0.1, 100_000),
    durationS: numEnv('BENCH_DURATION_S', 60, 1, 3600),
    drainS: numEnv('BENCH_DRAIN_S', 30, 0, 3600),
    // Runs need patterns to put templates on before the measured offering: the warm-up founds them.
    warmupS: numEnv('BENCH_WARMUP_S', scenario === 'runs' ? 15 : 0, 0, 3600),
    warmupRate: numEnv('BENCH_WARMUP_RATE', 10, 0.1, 100_000),
    maxInflight: intEnv('BENCH_MAX_INFLIGHT', 256, 1, 100_000),
    sockets: intEnv('BENCH_SOCKETS', 64, 1, 10_000),
    agents: intEnv('BENCH_AGENTS', 20, 1, 999),
    capabilities: intEnv('BENCH_CAPABILITIES', 8, 1, 12),
    templateSkew: numEnv('BENCH_TEMPLATE_SKEW', 0, 0, 10),
    seed: intEnv('BENCH_SEED', 20261124, 0, 2 ** 31 - 1),
    requestTimeoutMs: intEnv('BENCH_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    crosscheckMax: intEnv('BENCH_CROSSCHECK_MAX', 2000, 0, 1_000_000),
    sampleDepth: boolEnv('BENCH_SAMPLE_DEPTH', true),
    commitConnections: process.env.BENCH_COMMIT_CONNECTIONS?.trim()
      ? intEnv('BENCH_COMMIT_CONNECTIONS', 20, 1, 500)
      : null,
    commitS: numEnv('BENCH_COMMIT_S', 5, 0.5, 600),
    catalog: boolEnv('BENCH_CATALOG', true),
    pgSampleHz: numEnv('BENCH_PG_SAMPLE_HZ', 10, 0, 100),
    json: process.env.BENCH_JSON?.trim() || null,
    url,
    apiKey,
    databaseUrl: process.env.BENCH_DATABASE_URL?.trim() || null,
  };
}

let workerTid: number | null | undefined;
let workerFailure: string | null = null;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Synchronous removal of the temporary DATA_DIR for the process 'exit' event: waits for the
 * embedded PostgreSQL this run started to stop (asking it to, by its pid, if nothing else
 * does within 5 s), then deletes the directory.
 */
function removeDataDirSync(dir: string): void {
  try {
    const pidFile = path.join(dir, 'pg', 'postmaster.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const waitFor = (ms: number) => {
      const until = Date.now() + ms;
      while (pid > 0 && isAlive(pid) && Date.now() < until) Atomics.wait(pause, 0, 0, 50);
    };
    waitFor(5000);
    if (pid > 0 && isAlive(pid)) {
      process.kill(pid, 'SIGINT'); // PostgreSQL's fast shutdown
      waitFor(10_000);
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    process.stderr.write(`bench: could not remove ${dir}: ${String(err)}\n`);
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function createTenantKey(baseUrl: string, adminKey: string, tenantId: string): Promise<string> {
  const res = await fetch(new URL('/admin/api-keys', baseUrl), {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenantId, name: `bench ${tenantId}`, role: 'operator' }),
  });
  const body = (await res.json().catch(() => ({}))) as { key?: string };
  if (res.status !== 201 || !body.key)
    throw new Error(`creating the bench tenant's key failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.key;
}

/** The load generator's worker, started before anything else so its modules load at once. */
function spawnLoadWorker(): Worker {
  return new Worker(new URL('./loop-load.js', import.meta.url), {
    workerData: { kind: 'loop-load' },
    name: 'bench-load',
  });
}

function runLoad(
  worker: Worker,
  params: LoadParams,
  sampler: CpuSampler,
  onPhase: (phase: string, at: number) => void,
  onReady: () => Promise<void>,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    if (workerFailure) return reject(new Error(`load generator: ${workerFailure}`));
    let last = sampler.snapshot();
    let settled = false;
    if (workerTid !== undefined) sampler.setBenchThread(workerTid);
    worker.on('message', (m: LoadMessage) => {
      switch (m.type) {
        case 'tid':
          sampler.setBenchThread(m.tid);
          break;
        case 'phase':
          onPhase(m.phase, m.at);
          if (m.phase === 'ready') {
            onReady().then(
              () => worker.postMessage({ type: 'go' }),
              (err: unknown) => {
                settled = true;
                reject(err instanceof Error ? err : new Error(String(err)));
                void worker.terminate();
              },
            );
          }
          break;
        case 'progress': {
          const now = sampler.snapshot();
          log(progressLine(m.progress, sampler.split(last, now)));
          last = now;
          break;
        }
        case 'result':
          settled = true;
          resolve(m.result);
          void worker.terminate();
          break;
        case 'error':
          settled = true;
          reject(new Error(`load generator failed: ${m.message}`));
          void worker.terminate();
          break;
      }
    });
    worker.on('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited early (code ${code})`));
      settled = true;
    });
    worker.postMessage({ type: 'start', params });
  });
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${fmt(v)}%`);

function progressLine(p: LoadProgress, cpu: CpuSplit): string {
  const parts = [
    `[${p.t.toFixed(0).padStart(4)}s ${p.phase.padEnd(5)}]`,
    `offered ${String(p.offered).padStart(6)}`,
    `accepted ${String(p.accepted).padStart(6)}`,
    `failed ${String(p.failed).padStart(4)}`,
    `completed ${String(p.completed).padStart(6)}`,
    `loops in flight ${String(p.inflightLoops).padStart(5)} (http ${String(p.inflightHttp).padStart(3)})`,
    `p95(5s) ${fmt(p.p95WindowMs).padStart(6)} ms`,
  ];
  if (p.outboxDue !== null) parts.push(`outbox due ${p.outboxDue}`);
  const cpuParts: string[] = [];
  if (cpu.appMainPct !== null) cpuParts.push(`app ${pct(cpu.appMainPct)}`);
  if (cpu.benchThreadPct !== null) cpuParts.push(`bench ${pct(cpu.benchThreadPct)}`);
  if (cpu.nodeOtherPct !== null && cpu.appMainPct !== null) cpuParts.push(`node-other ${pct(cpu.nodeOtherPct)}`);
  if (cpu.postgresPct !== null) cpuParts.push(`pg ${pct(cpu.postgresPct)}`);
  if (cpu.machineBusyPct !== null) cpuParts.push(`machine ${pct(cpu.machineBusyPct)}/${(cpu.cores ?? 0) * 100}%`);
  if (cpu.othersPct !== null && cpu.othersPct >= 5) cpuParts.push(`others ${pct(cpu.othersPct)}`);
  if (cpu.machineIowaitPct !== null && cpu.machineIowaitPct >= 1) cpuParts.push(`iowait ${pct(cpu.machineIowaitPct)}`);
  if (cpuParts.length) parts.push(`cpu ${cpuParts.join(' ')}`);
  return parts.join('  ');
}

interface Transactions {
  /**
   * Measured: transaction ids consumed during the run ÷ loops: every writing transaction (HTTP
   * creates, claims, batches of deliveries). The relay handles a batch of deliveries per
   * transaction, so this falls as the load rises.
   */
  perLoopWritesMeasured: number | null;
  /** Deadlocks PostgreSQL detected during the run (all tenants). */
  deadlocks: number | null;
  /** Measured: every committed transaction, read-only ones too (auth look-ups, SSE status reads, polls) ÷ loops. */
  perLoopAllCommits: number | null;
  deliveriesPerLoop: number;
  deliveryAttemptsPerLoop: number;
  walBytesPerLoop: number | null;
  /** In-process: the app's SQL statements (pg Client.query calls) from the first offer to the deadline ÷ loops. */
  appQueriesPerLoop: number | null;
}

async function main(): Promise<void> {
  const opts = readOptions();
  const loadWorker = spawnLoadWorker();
  loadWorker.on('message', (m: LoadMessage) => {
    if (m.type === 'tid') workerTid = m.tid;
  });
  loadWorker.on('error', (err) => (workerFailure ??= err instanceof Error ? err.message : String(err)));
  loadWorker.on('exit', (code) => (workerFailure ??= `exited (code ${code})`));
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/\D/g, '').slice(2, 14)}-${randomBytes(2).toString('hex')}`;
  const tenantId = `bench-${runId}`;
  const noisyRunIds = new Set<string>();
  const noisyTenants = new Set<string>();
  let running: RunningApp | null = null;
  let dataDir: string | null = null;
  let baseUrl: string;
  let adminKey: string;
  let dbUrl: string | null;
  let dbPoolSize = 20;
  let appSettings: Record<string, unknown> = {};
  let receiver: ReceiverWorker | null = null;
  let hangingReceiver: ReceiverWorker | null = null;

  const cleanup = async () => {
    await loadWorker.terminate().catch(() => undefined);
    await receiver?.terminate().catch(() => undefined);
    await hangingReceiver?.terminate().catch(() => undefined);
    if (running) {
      const r = running;
      running = null;
      await r.close().catch((err: unknown) => log(`closing the app failed: ${String(err)}`));
    }
    if (dataDir) {
      const d = dataDir;
      // Cleared only once removed: if the process exits meanwhile, the 'exit' handler removes it.
      await rm(d, { recursive: true, force: true, maxRetries: 3 }).catch((err: unknown) =>
        log(`removing ${d} failed: ${String(err)}`),
      );
      dataDir = null;
    }
  };
  // Last resort: on Ctrl-C the embedded PostgreSQL's own exit hook stops the server and calls
  // process.exit() before an async clean-up can finish; the temporary DATA_DIR still goes.
  process.on('exit', () => {
    if (dataDir) removeDataDirSync(dataDir);
  });
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: shutting down`);
    void cleanup().finally(() => process.exit(130));
  };
  // Persistent listeners: the app's shutdown hooks re-raise the signal once they are done, which
  // must not kill the process before the clean-up below has finished.
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    if (opts.url) {
      baseUrl = opts.url;
      adminKey = opts.apiKey!;
      dbUrl = opts.databaseUrl;
      log(
        `bench: targeting ${baseUrl}${dbUrl ? '' : ' (no BENCH_DATABASE_URL: raw commit rate and transaction counts are skipped)'}`,
      );
    } else {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'pillar-loop-bench-'));
      const pgPort = await freePort();
      adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
      const config = loadConfig({
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        EMBEDDED_PG_PORT: String(pgPort),
        ADMIN_API_KEY: adminKey,
        // The runs scenario's receiver listens on loopback: open it for actuators (ADR 0013).
        ...(opts.scenario === 'runs'
          ? { RECOVERY_VERIFY_WINDOW_MS: String(opts.verifyWindowMs), ACTUATOR_ALLOW_NETWORKS: '127.0.0.0/8' }
          : {}),
      });
      dbPoolSize = config.dbPoolSize;
      installQueryCounter();
      appSettings = {
        dbPoolSize: config.dbPoolSize,
        outbox: config.outbox,
        ...(opts.scenario === 'runs' ? { runs: config.runs } : {}),
      };
      if (opts.scenario === 'runs') receiver = await startReceiverWorker();
      if (opts.noisyRuns > 0) hangingReceiver = await startReceiverWorker(true);
      log(`bench: starting the service in-process (embedded PostgreSQL on 127.0.0.1:${pgPort}, DATA_DIR ${dataDir})`);
      const t = performance.now();
      running = await startApp(config, (m) => log(`  app: ${m}`));
      log(`bench: service up at ${running.url} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      baseUrl = running.url;
      dbUrl = running.database.url;
      if (receiver) instrumentRunEngine(running.app, noisyTenants);
    }
    const sampler = new CpuSampler({
      inProcess: running !== null,
      pgDataDir: dataDir ? path.join(dataDir, 'pg') : null,
    });
    const tenantKey = await createTenantKey(baseUrl, adminKey, tenantId);
    const settings = dbUrl ? await serverSettings(dbUrl) : {};
    const speed = await measureMachineSpeed(dbUrl);
    log(
      `bench: tenant ${tenantId}; offering ${opts.rate}/s for ${opts.durationS} s (drain ≤ ${opts.drainS} s)` +
        (settings.server_version
          ? `; PostgreSQL ${settings.server_version}, synchronous_commit=${settings.synchronous_commit}, fsync=${settings.fsync}`
          : ''),
    );

    const eventLoop = new EventLoopWatch();
    let eventLoopOffer: EventLoopFigures | null = null;
    const snap: { before: DbCounters | null } = { before: null };
    const marks: Record<string, ReturnType<CpuSampler['snapshot']>> = {};
    let activity: { stop(): Promise<ActivityReport | null> } | null = null;
    let activityReport: Promise<ActivityReport | null> = Promise.resolve(null);
    let relayStopped: Promise<void> = Promise.resolve();
    const queriesAt: Record<string, number> = {};
    const app = running as RunningApp | null;
    let runsPrepared = { patterns: 0 };
    // Set right before the measured offering (in the load's callback).
    const atOffer: { noisy: NoisyTenant | null; centres: ReturnType<typeof costCentres> | null } = {
      noisy: null,
      centres: null,
    };
    const load = await runLoad(
      loadWorker,
      {
        baseUrl,
        apiKey: tenantKey,
        rate: opts.rate,
        durationS: opts.durationS,
        drainS: opts.drainS,
        warmupS: opts.warmupS,
        warmupRate: opts.warmupRate,
        maxInflight: opts.maxInflight,
        sockets: opts.sockets,
        agents: opts.agents,
        capabilities: opts.capabilities,
        seed: opts.seed,
        templateSkew: opts.templateSkew,
        requestTimeoutMs: opts.requestTimeoutMs,
        crosscheckMax: opts.crosscheckMax,
        sampleDepth: opts.sampleDepth,
        metricsKey: adminKey,
        runId,
      },
      sampler,
      (phase) => {
        marks[phase] = sampler.snapshot();
        queriesAt[phase] = queryCount();
        if (phase === 'warmup')
          log(`bench: warming up at ${opts.warmupRate}/s for ${opts.warmupS} s (left out of every figure)`);
        if (phase === 'offer' && dbUrl && opts.pgSampleHz > 0) activity = startActivitySampler(dbUrl, opts.pgSampleHz);
        if (phase === 'offer' && app) eventLoop.start();
        if (phase === 'drain' && activity) activityReport = activity.stop();
        if (phase === 'drain') eventLoopOffer = eventLoop.stop();
        if (phase === 'crosscheck') {
          // In-process: freeze the outbox at the deadline, so the counters below and the commit
          // probe see only this run's finished work on an otherwise idle database.
          if (app) relayStopped = app.app.get(OutboxRelay, { strict: false }).stop();
          log(
            `bench: drain over${app ? '; outbox relay stopped' : ''}; looking up loops the stream did not report complete`,
          );
        }
      },
      async () => {
        // Right before the measured offering (after any warm-up).
        if (receiver) {
          runsPrepared = await prepareRuns(baseUrl, adminKey, tenantId, receiver);
          log(`bench: runs: actuator ops → ${receiver.url}; auto-apply templates on ${runsPrepared.patterns} patterns`);
        }
        if (hangingReceiver) {
          atOffer.noisy = await prepareNoisyTenant(
            baseUrl,
            adminKey,
            `${tenantId}-noisy`,
            hangingReceiver,
            opts.noisyRuns,
            opts.noisyTimeoutMs,
          );
        }
        if (dbUrl) snap.before = await dbCounters(dbUrl);
        atOffer.centres = costCentres();
        if (atOffer.noisy) {
          noisyTenants.add(atOffer.noisy.tenantId);
          for (const id of await atOffer.noisy.start()) noisyRunIds.add(id);
          log(
            `bench: runs: noisy tenant ${atOffer.noisy.tenantId}: ${noisyRunIds.size} runs started on an actuator that hangs for ${opts.noisyTimeoutMs} ms`,
          );
        }
      },
    );
    const before = snap.before;
    if (load.warmup)
      log(
        `bench: warm-up: ${load.warmup.completed} of ${load.warmup.accepted} loops completed in ${load.warmup.seconds.toFixed(0)} s`,
      );
    const pgActivity = await activityReport;
    await relayStopped;
    // Runs outlive their loops (steps, checks, the verify window): wait for them before anything is counted.
    let runs: RunsFigures | null = null;
    if (receiver && dbUrl) {
      // The outbox is stopped from here on: what the machine does now is the run engine finishing the backlog.
      const engineFrom = { cpu: sampler.snapshot(), done: await runsDone(dbUrl, tenantId) };
      const notDone = await waitForRuns(dbUrl, tenantId, opts.runsDrainS, log);
      const engineCpu = sampler.split(engineFrom.cpu, sampler.snapshot());
      const engineRuns = (await runsDone(dbUrl, tenantId)) - engineFrom.done;
      const centresAfter = costCentres();
      const n = atOffer.noisy;
      runs = await runsFigures(dbUrl, tenantId, {
        noisy:
          n && hangingReceiver
            ? { tenantId: n.tenantId, timeoutMs: n.timeoutMs, receiver: await hangingReceiver.counts() }
            : null,
        cost: null,
        patterns: runsPrepared.patterns,
        verifyWindowMs: opts.verifyWindowMs,
        concurrency: (appSettings.runs as { concurrency?: number } | undefined)?.concurrency ?? null,
        receiver: await receiver.counts(),
        notDone,
        engineAlone: engineRuns > 0 ? { runs: engineRuns, cpu: engineCpu } : null,
      });
      if (atOffer.centres) runs.cost = runCost(atOffer.centres, centresAfter, runs.runs, noisyRunIds.size);
    }
    const cpuOffer = marks.offer && marks.drain ? sampler.split(marks.offer, marks.drain) : null;
    const cpuDrain = marks.drain && marks.crosscheck ? sampler.split(marks.drain, marks.crosscheck) : null;

    // Counters right after the drain (xid and WAL are exact at once; commit counts lag).
    const afterWrites: DbCounters | null = dbUrl ? await dbCounters(dbUrl) : null;
    const tenant: TenantFigures | null = dbUrl ? await tenantFigures(dbUrl, tenantId) : null;
    const tables: TableHealth[] | null = dbUrl ? await tableHealth(dbUrl) : null;
    let allCommits: bigint | null = null;
    let walBytes: number | null = null;
    if (dbUrl && before && afterWrites) {
      walBytes = await walBytesBetween(dbUrl, before.walLsn, afterWrites.walLsn);
      // Backends flush their commit counters within ~10 s of going idle.
      const settleMs = Math.max(0, afterWrites.at + 11_000 - Date.now());
      if (settleMs > 0)
        log(`bench: waiting ${(settleMs / 1000).toFixed(0)} s for PostgreSQL's commit counters to settle`);
      await sleep(settleMs);
      allCommits = (await dbCounters(dbUrl)).xactCommit - before.xactCommit;
    }

    let transactions: Transactions | null = null;
    if (tenant && tenant.incidents > 0 && before && afterWrites) {
      // One loop = its HTTP create + its outbox deliveries. Measured totals are spread over the
      // creates and deliveries that actually completed, then scaled to one whole loop, so an
      // overloaded run (many loops half done) is not under-counted.
      const deliveriesPerLoop = tenant.deliveriesPerCompletedLoop ?? tenant.deliveries / tenant.incidents;
      const committedUnits = tenant.incidents + tenant.doneDeliveries;
      const perLoop = (total: number) => (total / committedUnits) * (1 + deliveriesPerLoop);
      transactions = {
        perLoopWritesMeasured: perLoop(Number(afterWrites.nextXid - before.nextXid)),
        deadlocks: afterWrites.deadlocks - before.deadlocks,
        perLoopAllCommits: allCommits === null ? null : perLoop(Number(allCommits)),
        deliveriesPerLoop,
        deliveryAttemptsPerLoop: (tenant.deliveryAttempts / Math.max(1, tenant.deliveries)) * deliveriesPerLoop,
        walBytesPerLoop: walBytes === null ? null : perLoop(walBytes),
        appQueriesPerLoop:
          app && queriesAt.offer !== undefined && queriesAt.crosscheck !== undefined
            ? perLoop(queriesAt.crosscheck - queriesAt.offer)
            : null,
      };
    }

    let commitRate: CommitRateResult | null = null;
    let backlogAtProbe: number | null = null;
    const commitConnections = opts.commitConnections ?? dbPoolSize;
    if (dbUrl) {
      backlogAtProbe = await outboxBacklog(dbUrl);
      if (backlogAtProbe > 0 && !app)
        log(
          `bench: note: ${backlogAtProbe} outbox deliveries still pending; the service keeps working while the commit rate is probed`,
        );
      log(`bench: measuring the raw single-row commit rate (${commitConnections} connections, ${opts.commitS} s)`);
      commitRate = await measureCommitRate(dbUrl, commitConnections, opts.commitS);
    }

    // The audit log (ADR 0016): entries the bench tenant's loops wrote, and what an entry costs a transaction.
    const auditPerIncident = dbUrl ? await auditEntriesPerIncident(dbUrl, tenantId) : null;
    let auditAppend: AuditAppendResult | null = null;
    if (app) {
      log(`bench: audit append probe (${commitConnections} workers, ${opts.commitS} s each)`);
      auditAppend = await runAuditAppendBench(app.app, commitConnections, opts.commitS);
    }

    let catalog: CatalogMatchBenchResult | null = null;
    if (opts.catalog) {
      log('bench: catalog-match micro-bench (10 000 patterns)');
      catalog = runCatalogMatchBench();
    }

    let policyEvaluate: {
      inProcess: ReturnType<typeof runPolicyEvaluateBench>;
      http: PolicyEvaluateHttpResult;
    } | null = null;
    if (opts.catalog) {
      log('bench: policy evaluation with 1 000 active policies (in-process engine, then HTTP round trip)');
      policyEvaluate = { inProcess: runPolicyEvaluateBench(), http: await runPolicyEvaluateHttp(baseUrl, adminKey) };
    }

    let alertmanagerIntake: AlertmanagerIntakeResult | null = null;
    if (opts.catalog) {
      log('bench: Alertmanager intake, 1 000 alerts in batches of 100 (400 fingerprints)');
      alertmanagerIntake = await runAlertmanagerIntakeBench(baseUrl, adminKey);
    }

    const loopsPerS = load.sustainedLoopsPerS;
    const share = (tx: number | null | undefined) =>
      commitRate && tx && loopsPerS > 0 ? loopsPerS / (commitRate.commitsPerS / tx) : null;
    const figures = {
      date: startedAt.toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? null,
        node: process.version,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        speed,
      },
      target: opts.url ? { url: opts.url, inProcess: false } : { url: baseUrl, inProcess: true, app: appSettings },
      postgres: settings,
      tenantId,
      options: { ...opts, apiKey: opts.apiKey ? '(set)' : null, databaseUrl: opts.databaseUrl ? '(set)' : null },
      load: {
        warmup: load.warmup,
        rateOffered: opts.rate,
        achievedOfferRate: load.achievedOfferRate,
        durationS: opts.durationS,
        offered: load.offered,
        accepted: load.accepted,
        failed: load.failed,
        failuresByReason: load.failuresByReason,
        completed: load.completed,
        completedViaSse: load.completedViaSse,
        completedViaLookup: load.completedViaLookup,
        lost: load.lost,
        lostButCompletedLate: load.lostButCompletedLate,
        lostByState: load.lostByState,
        lostByStage: load.lostByStage,
        crosscheck: load.crosscheck,
        completionRatePct: load.offered ? (load.completed / load.offered) * 100 : 0,
        completionRateOfAcceptedPct: load.accepted ? (load.completed / load.accepted) * 100 : 0,
        loopMs: load.loopMs,
        loopMsSecondHalf: load.loopMsSecondHalf,
        loopClientMs: load.loopClientMs,
        sustainedLoopsPerS: loopsPerS,
        timeToLastCompletionS: load.lastCompletionAt ? (load.lastCompletionAt - load.firstOfferAt) / 1000 : null,
        httpCreateMs: load.httpCreateMs,
        httpAllMs: load.httpAllMs,
        sseMessages: load.sseMessages,
        sseReconnects: load.sseReconnects,
      },
      cpu: { offer: cpuOffer, drain: cpuDrain },
      eventLoop: eventLoopOffer,
      commitRate,
      commitProbe: { outboxPendingAtStart: backlogAtProbe, relayStopped: app !== null },
      audit: { entriesPerIncident: auditPerIncident, append: auditAppend },
      transactions,
      tenant,
      tables,
      pgActivity,
      capacityShare: share(transactions?.perLoopWritesMeasured),
      runs,
      catalog,
      policyEvaluate,
      alertmanagerIntake,
      progress: load.progress,
    };

    process.stdout.write(renderReport(figures));
    if (opts.json) {
      await writeFile(opts.json, `${JSON.stringify(figures, null, 2)}\n`);
      log(`bench: figures written to ${opts.json}`);
    }
  } finally {
    await cleanup();
  }
}

type Figures = {
  date: string;
  machine: { cores: number; cpu: string | null; node: string; memoryGiB: number; speed: MachineSpeed };
  target: { url: string; inProcess: boolean };
  postgres: Record<string, string>;
  tenantId: string;
  options: Options | Record<string, unknown>;
  load: {
    warmup: LoadResult['warmup'];
    rateOffered: number;
    achievedOfferRate: number;
    durationS: number;
    offered: number;
    accepted: number;
    failed: number;
    failuresByReason: Record<string, number>;
    completed: number;
    completedViaSse: number;
    completedViaLookup: number;
    lost: number;
    lostButCompletedLate: number;
    lostByState: Record<string, number>;
    lostByStage: Record<string, number>;
    crosscheck: LoadResult['crosscheck'];
    completionRatePct: number;
    completionRateOfAcceptedPct: number;
    loopMs: LoadResult['loopMs'];
    loopMsSecondHalf: LoadResult['loopMsSecondHalf'];
    loopClientMs: LoadResult['loopClientMs'];
    sustainedLoopsPerS: number;
    timeToLastCompletionS: number | null;
    httpCreateMs: LoadResult['httpCreateMs'];
    httpAllMs: LoadResult['httpAllMs'];
    sseMessages: number;
    sseReconnects: number;
  };
  cpu: { offer: CpuSplit | null; drain: CpuSplit | null };
  /** The app thread's event loop while offering (in-process only). */
  eventLoop: EventLoopFigures | null;
  commitRate: CommitRateResult | null;
  commitProbe: { outboxPendingAtStart: number | null; relayStopped: boolean };
  audit: { entriesPerIncident: number | null; append: AuditAppendResult | null };
  transactions: Transactions | null;
  tenant: TenantFigures | null;
  tables: TableHealth[] | null;
  pgActivity: ActivityReport | null;
  /** loops/s ÷ (raw commits/s ÷ measured writing transactions per loop). */
  capacityShare: number | null;
  runs: RunsFigures | null;
  catalog: CatalogMatchBenchResult | null;
  policyEvaluate: { inProcess: ReturnType<typeof runPolicyEvaluateBench>; http: PolicyEvaluateHttpResult } | null;
  alertmanagerIntake: AlertmanagerIntakeResult | null;
};

function renderReport(f: Figures): string {
  const out: string[] = [];
  const W = 46;
  const row = (label: string, value: string) => out.push(`  ${label.padEnd(W)} ${value}`);
  const head = (title: string) => out.push('', title);
  const ms = (v: number) => `${fmt(v, v < 10 ? 1 : 0)} ms`;
  const l = f.load;

  out.push('', '='.repeat(78), `pillar-loop bench — ${f.date}`, '='.repeat(78));
  row(
    'machine',
    `${f.machine.cores} cores (${f.machine.cpu ?? '?'}), ${f.machine.memoryGiB} GiB, Node ${f.machine.node}`,
  );
  const speed = f.machine.speed;
  row(
    'machine speed (fixed work, best of 5)',
    `node ${fmt(speed.nodeMs, 1)} ms` +
      (speed.postgresMs === null ? '' : `, postgres ${fmt(speed.postgresMs, 1)} ms`) +
      '  (lower is faster; compare days with it)',
  );
  row(
    'target',
    f.target.inProcess
      ? `in-process app on embedded PostgreSQL ${f.postgres.server_version ?? ''}`.trim()
      : f.target.url,
  );
  if (f.postgres.synchronous_commit) {
    row(
      'postgres settings',
      `synchronous_commit=${f.postgres.synchronous_commit} fsync=${f.postgres.fsync} wal_sync_method=${f.postgres.wal_sync_method} shared_buffers=${f.postgres.shared_buffers}`,
    );
  }
  row('tenant', f.tenantId);
  row(
    'scenario',
    (f.options as { scenario?: string }).scenario === 'runs'
      ? 'runs (recovery runs enabled: auto-apply templates, a local ops receiver)'
      : 'loop',
  );

  head('Load');
  if (l.warmup)
    row(
      'warm-up (not counted)',
      `${l.warmup.offered} offered, ${l.warmup.completed} of ${l.warmup.accepted} loops completed before the run (${fmt(l.warmup.seconds)} s)`,
    );
  row('rate offered', `${fmt(l.rateOffered, 1)} /s (achieved ${fmt(l.achievedOfferRate, 1)} /s)`);
  row('duration', `${fmt(l.durationS)} s`);
  row('loops offered / accepted / completed / lost', `${l.offered} / ${l.accepted} / ${l.completed} / ${l.lost}`);
  if (l.failed)
    row(
      'offers failed',
      `${l.failed}  (${Object.entries(l.failuresByReason)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')})`,
    );
  if (l.completedViaLookup)
    row('completed but missed by the stream', `${l.completedViaLookup} (found by GET /integration/loop/:id)`);
  if (l.lost) {
    row(
      'lost loops, by state',
      Object.entries(l.lostByState)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '-',
    );
    row(
      'lost loops, by stage',
      Object.entries(l.lostByStage)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '-',
    );
  }
  if (l.crosscheck.missing)
    row(
      'cross-check',
      `${l.crosscheck.checked} of ${l.crosscheck.missing} unreported loops looked up${l.crosscheck.sampled ? ' (sample)' : ''}`,
    );
  row(
    'completion rate',
    `${fmt(l.completionRatePct, 2)} % of offered (${fmt(l.completionRateOfAcceptedPct, 2)} % of accepted)`,
  );
  row(
    'loop completion (server durationMs) p50/p95/p99',
    `${ms(l.loopMs.p50)} / ${ms(l.loopMs.p95)} / ${ms(l.loopMs.p99)}`,
  );
  row('loop completion max', ms(l.loopMs.max));
  row(
    '  loops offered in the 2nd half: p50/p95/p99',
    `${ms(l.loopMsSecondHalf.p50)} / ${ms(l.loopMsSecondHalf.p95)} / ${ms(l.loopMsSecondHalf.p99)}  (${l.loopMsSecondHalf.count} loops; lost loops have no time)`,
  );
  row('loop as seen by the client (POST → SSE) p50/p99', `${ms(l.loopClientMs.p50)} / ${ms(l.loopClientMs.p99)}`);
  row(
    'sustained loops/s',
    `${fmt(l.sustainedLoopsPerS, 1)} /s (first offer → last completion ${fmt(l.timeToLastCompletionS, 1)} s)`,
  );
  row(
    'HTTP create latency p50/p99 (201s)',
    `${ms(l.httpCreateMs.p50)} / ${ms(l.httpCreateMs.p99)}  (max ${ms(l.httpCreateMs.max)})`,
  );
  row('SSE', `${l.sseMessages} loop_progress messages, ${l.sseReconnects} reconnects`);

  const cpuRow = (label: string, c: CpuSplit | null) => {
    if (!c || c.machineBusyPct === null || c.seconds < 1) return;
    const parts: string[] = [];
    if (c.appMainPct !== null) parts.push(`app thread ${pct(c.appMainPct)}`);
    if (c.nodeOtherPct !== null && c.appMainPct !== null) parts.push(`node other ${pct(c.nodeOtherPct)}`);
    if (c.benchThreadPct !== null) parts.push(`bench thread ${pct(c.benchThreadPct)}`);
    if (c.postgresPct !== null) parts.push(`postgres ${pct(c.postgresPct)}`);
    parts.push(`machine ${pct(c.machineBusyPct)} of ${(c.cores ?? 0) * 100}%`);
    if (c.othersPct !== null) parts.push(`other processes ${pct(c.othersPct)}`);
    if (c.machineIowaitPct !== null) parts.push(`iowait ${pct(c.machineIowaitPct)}`);
    row(label, parts.join(', '));
  };
  if (f.cpu.offer || f.cpu.drain) {
    head('CPU (% of one core, averaged)');
    cpuRow('while offering', f.cpu.offer);
    cpuRow('while draining', f.cpu.drain);
  }
  if (f.eventLoop) {
    const d = f.eventLoop.delayMs;
    row(
      'app event loop while offering',
      `busy ${pct(f.eventLoop.busyPct)} (utilization), a ready callback waited p50/p99/max ${ms(d.p50)} / ${ms(d.p99)} / ${ms(d.max)}`,
    );
  }

  head('Database');
  if (f.commitRate) {
    const c = f.commitRate;
    row(
      'raw commits/s (1-row autocommit INSERT)',
      `${fmt(c.commitsPerS)} /s  (${c.connections} connections, ${fmt(c.seconds, 1)} s, commit p50 ${ms(c.latencyMs.p50)}, p99 ${ms(c.latencyMs.p99)})`,
    );
    const backlog = f.commitProbe.outboxPendingAtStart;
    if (backlog)
      row(
        '  while probing',
        `${backlog} outbox deliveries pending, ${f.commitProbe.relayStopped ? 'relay stopped (not competing)' : 'service still working them off (competing with the probe)'}`,
      );
  } else {
    row('raw commits/s', 'skipped (no database URL: set BENCH_DATABASE_URL)');
  }
  const t = f.transactions;
  if (t) {
    row(
      'outbox deliveries per complete loop',
      `${fmt(t.deliveriesPerLoop, 2)} (attempts ${fmt(t.deliveryAttemptsPerLoop, 2)})`,
    );
    row(
      'writing transactions/loop, measured (xids)',
      `${fmt(t.perLoopWritesMeasured, 2)}  (HTTP create, claims, delivery batches)`,
    );
    row('deadlocks detected', fmt(t.deadlocks));
    row('all commits/loop incl. read-only (pg_stat)', fmt(t.perLoopAllCommits, 2));
    if (t.appQueriesPerLoop !== null) row('app SQL statements/loop (in-process count)', fmt(t.appQueriesPerLoop, 1));
    row('WAL per loop', t.walBytesPerLoop === null ? 'n/a' : `${fmt(t.walBytesPerLoop / 1024, 1)} KiB`);
  } else {
    row('transactions/loop', 'n/a (no database URL, or no incident accepted)');
  }
  if (f.audit.entriesPerIncident !== null) {
    row('audit entries per incident (ADR 0016)', fmt(f.audit.entriesPerIncident, 2));
  }
  const appended = f.audit.append;
  if (appended) {
    const v = (x: AuditAppendResult['plain']) =>
      `${fmt(x.commitsPerS)} /s (p50 ${ms(x.latencyMs.p50)}, p99 ${ms(x.latencyMs.p99)})`;
    row(`1-row transactions, ${appended.workers} workers: no entry`, v(appended.plain));
    row('  + an audit entry, all in one tenant', `${v(appended.oneTenant)}  (its chain head serialises the commits)`);
    row('  + an audit entry, a tenant each', v(appended.ownTenants));
  }
  if (f.tables?.length) {
    row(
      'dead row versions at the deadline',
      f.tables
        .filter((x) => x.deadRows > 0)
        .map(
          (x) =>
            `${x.table} ${fmt(x.deadRows)} (live ${fmt(x.liveRows)}, HOT ${fmt(x.updates ? (x.hotUpdates / x.updates) * 100 : 0)}% of ${fmt(x.updates)} updates, ${x.autovacuums} vacuums)`,
        )
        .join('; ') || 'none',
    );
  }
  const share = (v: number | null) => (v === null ? 'n/a' : `${fmt(v * 100, 1)} %`);
  row(
    'loops/s ÷ (commits/s ÷ tx/loop)',
    `${share(f.capacityShare)} of commit capacity (tx/loop: the measured writing transactions)`,
  );

  if (f.tenant && (f.tenant.stages.length || f.tenant.handlers.length)) {
    head('Where the time goes (server side, completed work of the bench tenant)');
    for (const s of f.tenant.stages) row(`stage ${s.stage}`, `avg ${ms(s.avgMs)}, p95 ${ms(s.p95Ms)}  (${s.count})`);
    for (const h of f.tenant.handlers) {
      row(
        `wait ${h.handler}`,
        `avg ${ms(h.waitAvgMs)}, p95 ${ms(h.waitP95Ms)}  (${h.deliveries} deliveries${h.attempts !== h.deliveries ? `, ${h.attempts} attempts` : ''}${h.notDone ? `, ${h.notDone} not done` : ''})`,
      );
    }
    const adj = f.tenant.adjustmentsPerLoop;
    if (adj.all !== null)
      row(
        'routing adjustments written per loop',
        `avg ${fmt(adj.all, 1)} (first tenth of loops ${fmt(adj.firstTenth, 1)}, last tenth ${fmt(adj.lastTenth, 1)})`,
      );
    out.push(
      '  (stage = trigger event stored → bridge published its result; wait = delivery stored → its handler transaction began)',
    );
  }

  const a = f.pgActivity;
  if (a) {
    head(`PostgreSQL sessions while offering (pg_stat_activity sampled ${a.samples}× at ${a.hz} Hz)`);
    row(
      'avg sessions by state',
      Object.entries(a.avgSessionsByState)
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]) => `${k} ${fmt(v, 1)}`)
        .join(', '),
    );
    row('active sessions: waiting on', a.waitShare.map((w) => `${w.wait} ${fmt(w.share * 100)}%`).join(', '));
    out.push('  active statements (share of active samples):');
    for (const q of a.topActive) out.push(`    ${`${fmt(q.share * 100)}%`.padStart(4)}  ${q.query}`);
    if (a.topIdleInTx.length) {
      out.push('  idle in transaction after (share of idle-in-transaction samples):');
      for (const q of a.topIdleInTx) out.push(`    ${`${fmt(q.share * 100)}%`.padStart(4)}  ${q.query}`);
    }
    if (a.topLockWaits.length) {
      out.push('  waiting on a lock  ⟵  held by a session running or last ran (share of lock-waiting samples):');
      for (const q of a.topLockWaits) out.push(`    ${`${fmt(q.share * 100)}%`.padStart(4)}  ${q.query}`);
    }
  }

  if (f.runs) {
    const r = f.runs;
    const sum = (x: { p50: number; p95: number; p99: number }) => `${ms(x.p50)} / ${ms(x.p95)} / ${ms(x.p99)}`;
    head(
      `Recovery runs (BENCH_SCENARIO=runs: playbook ${r.playbook}, verify window ${r.verifyWindowMs} ms, RUN_ENGINE_CONCURRENCY ${r.engineConcurrency ?? '?'})`,
    );
    row(
      'measured incidents: auto-applied / to review',
      `${r.measuredIncidents}: ${r.autoApplied} / ${r.queuedForReview}  (templates on ${r.patternsWithTemplate} patterns)`,
    );
    row(
      'runs, by status',
      `${r.runs}: ${Object.entries(r.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}${r.notDone ? `  (${r.notDone} not done at the deadline)` : ''}`,
    );
    if (r.failReasons.length)
      row('why runs failed (top 5)', r.failReasons.map((x) => `${x.n}× ${x.reason}`).join('; '));
    row(
      'runs completed/s (incl. drain; while offering)',
      `${fmt(r.runsPerS, 1)} /s; ${fmt(r.runsPerSWhileOffering, 1)} /s`,
    );
    if (r.engineAlone) {
      const { runs: n, cpu } = r.engineAlone;
      // % of a core over the span → CPU-ms per run finished in it.
      const perRun = (p: number | null) => (p === null ? null : ((p / 100) * cpu.seconds * 1000) / n);
      const parts = [
        ['app thread', perRun(cpu.appMainPct)],
        ['node other', perRun(cpu.nodeOtherPct)],
        ['postgres', perRun(cpu.postgresPct)],
      ] as const;
      const total = parts.reduce((t, [, v]) => t + (v ?? 0), 0);
      row(
        'engine alone after the offering (outbox off)',
        `${n} runs finished in ${fmt(cpu.seconds, 1)} s (${fmt(n / cpu.seconds, 1)} /s); other processes ${pct(cpu.othersPct ?? 0)}`,
      );
      row(
        '  CPU per finished run',
        // A handful of runs over a few idle seconds measures the idle process, not a run.
        n < ENGINE_ALONE_MIN_RUNS
          ? `not measured: too few runs were left after the offering (fewer than ${ENGINE_ALONE_MIN_RUNS}; the engine kept up)`
          : `${parts.map(([k, v]) => `${k} ${fmt(v ?? 0, 2)}`).join(' + ')} = ${fmt(total, 2)} ms`,
      );
    }
    row('incident → verified run p50/p95/p99', sum(r.incidentToVerifiedMs));
    row('  incident → run inserted (loop to bridge 2)', sum(r.incidentToRunMs));
    row('  run inserted → claimed (engine queue)', sum(r.queuedMs));
    row('  run inserted → first call made', sum(r.firstCallMs));
    row('  claimed → checks passed (4 signed calls)', sum(r.stepsMs));
    if (r.receiver)
      row(
        'ops receiver',
        `${r.receiver.verified} calls verified, ${r.receiver.rejected} rejected (401), ${r.receiver.repeats} repeated webhook-ids`,
      );
    if (r.noisy) {
      const n = r.noisy;
      row(
        `noisy tenant (actuator hangs ${fmt(n.timeoutMs)} ms)`,
        `${n.runs} runs: ${Object.entries(n.byStatus)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; ${n.calls} calls received`,
      );
      row(
        '  its run inserted → claimed / → first call p50/p95',
        `${ms(n.queuedMs.p50)} / ${ms(n.queuedMs.p95)}; ${ms(n.firstCallMs.p50)} / ${ms(n.firstCallMs.p95)}`,
      );
    }
    if (r.cost) {
      const c = r.cost;
      const per = (x: Cost) =>
        `${fmt(x.transactions, 2)} transactions (${fmt(x.writingTransactions, 2)} writing), ${fmt(x.statements, 1)} statements`;
      row('run engine per measured run (in-process count)', per(c.total));
      row('  its turns (decide, call, store the answer)', per(c.turns));
      row('  claims and next-due look-ups (per run)', per(c.claims));
      if (c.noisyTurns) row("  a noisy run's turns", per(c.noisyTurns));
      out.push('  statements per measured run, by SQL text:');
      for (const q of c.topStatements) out.push(`    ${fmt(q.perRun, 2).padStart(5)}  ${q.sql}`);
    }
  }

  if (f.catalog) {
    head('Catalog match (in-process micro-bench)');
    row(
      `${fmt(f.catalog.patterns)} patterns, median/p95/p99`,
      `${fmt(f.catalog.medianUs, 1)} / ${fmt(f.catalog.p95Us, 1)} / ${fmt(f.catalog.p99Us, 1)} µs`,
    );
  }
  if (f.policyEvaluate) {
    const { inProcess: e, http: h } = f.policyEvaluate;
    head('Policy evaluation, 1 000 active policies');
    row(
      `in-process engine (${fmt(e.policies)} policies), median/p95/p99`,
      `${fmt(e.medianUs, 1)} / ${fmt(e.p95Us, 1)} / ${fmt(e.p99Us, 1)} µs`,
    );
    row(
      `HTTP POST /policies/evaluate (${fmt(h.policies)} policies, ${fmt(h.calls)} calls) p50/p95/p99`,
      `${fmt(h.p50Ms, 2)} / ${fmt(h.p95Ms, 2)} / ${fmt(h.p99Ms, 2)} ms`,
    );
  }
  if (f.alertmanagerIntake) {
    const a = f.alertmanagerIntake;
    head(`Alertmanager intake, ${fmt(a.alerts)} alerts in batches of ${a.batchSize}`);
    row(
      'alerts/s (sequential batches)',
      `${fmt(a.alertsPerS, 0)} (${fmt(a.seconds, 2)} s; batch p50 ${fmt(a.batchMs.p50, 1)} ms, max ${fmt(a.batchMs.max, 1)} ms)`,
    );
    row(`created / deduplicated (${fmt(a.fingerprints)} fingerprints)`, `${fmt(a.created)} / ${fmt(a.deduplicated)}`);
    row(
      'incidents held / sum of repeatCount',
      `${fmt(a.incidents)} / ${fmt(a.repeatCountSum)} — dedup ${a.dedupCorrect ? 'correct' : 'WRONG'}`,
    );
  }
  out.push('');
  return `${out.join('\n')}\n`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(
      err instanceof BenchConfigError
        ? `bench: ${err.message}`
        : `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(err instanceof BenchConfigError ? 2 : 1);
  },
);
