// `npm run simulate`, on a fresh embedded PostgreSQL, in two halves:
// 1. proof that the loop prevents repeats: the same seeded fleet twice, once with the loop on and
//    once with `integration_loop` off; prints the incident rate per window of both runs and each
//    seeded failure's repeat rate before and after its policy became active, and writes a chart
//    of incident rate over time (SIM_CHART);
// 2. self-healing (DESIGN §8, issue 22): faults through the Alertmanager intake with a hidden true
//    cause, fixes with a hidden reliability per cause, monitoring that re-fires what was not fixed;
//    prints how the service's conclusions compare with the truth (auto-apply success, verified
//    precision, missed fixes, MTTR), the issue's targets, and each fix's confidence per window;
// 3. canary and promote (DESIGN §13, issue 27): latency regressions tuned by tune_config's canary
//    step on a canary whose candidates have a hidden true quality; prints how often the promoted
//    setting was really acceptable and really the best of those tried, and how the restores went.
//
// SIM_SEED (default 42), SIM_WINDOWS (24), SIM_REQUESTS_PER_WINDOW (60),
// SIM_CHART (docs/simulation-incident-rate.svg), SIM_JSON (unset: no JSON file),
// SIM_HALVES (loop,healing,canary), SIM_HEAL_WINDOWS (24), SIM_VERIFY_WINDOW_MS (300), SIM_CANARY_FAULTS (24).
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/platform/config/config.js';
import { runCanaryTuning, type CanaryResult } from './canary-tuning.js';
import { lineChartSvg } from './chart.js';
import { runSimulation, type SimulationResult } from './run-simulation.js';
import { runSelfHealing, type SelfHealingResult } from './self-healing.js';

const env = process.env;
const seed = Number(env.SIM_SEED ?? 42);
const windows = Number(env.SIM_WINDOWS ?? 24);
const perWindow = Number(env.SIM_REQUESTS_PER_WINDOW ?? 60);
const chartPath = env.SIM_CHART ?? 'docs/simulation-incident-rate.svg';
const halves = (env.SIM_HALVES ?? 'loop,healing,canary').split(',').map((h) => h.trim());
const canaryFaults = Number(env.SIM_CANARY_FAULTS ?? 24);
const healWindows = Number(env.SIM_HEAL_WINDOWS ?? 24);
// Short, so a verified run resolves its incident within the window it started in.
const verifyWindowMs = env.SIM_VERIFY_WINDOW_MS ?? '300';
const ADMIN = 'simulation-admin-key-0123456789';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function adminCall(url: string, method: string, p: string, body: unknown) {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ key: string }>;
}

/** A tenant of its own for each run, with the loop switched on or off for that tenant only. */
async function tenantKey(url: string, tenantId: string, loop: boolean): Promise<string> {
  const { key } = await adminCall(url, 'POST', '/admin/api-keys', {
    tenantId,
    name: `simulation ${tenantId}`,
    role: 'admin',
  });
  const res = await fetch(`${url}/integration/flags/integration_loop`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled: loop, scope: 'tenant' }),
  });
  if (!res.ok) throw new Error(`setting integration_loop → ${res.status}`);
  return key;
}

const ms = (x: number | null) => (x === null ? '—' : `${x} ms`);
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

function printFailures(label: string, r: SimulationResult) {
  console.log(`\n${label}: seeded failures (repeat rate = its incidents per request of its capability)`);
  console.log('  failure              agent     capability  policy active from  before    after     drop');
  for (const f of r.failures) {
    console.log(
      `  ${f.id.padEnd(20)} ${f.agentId.padEnd(9)} ${f.capability.padEnd(11)} ${String(f.policyActiveFromWindow ?? 'never').padEnd(19)} ${pct(f.repeatRateBefore).padEnd(9)} ${pct(f.repeatRateAfter).padEnd(9)} ${pct(f.drop)}`,
    );
  }
}

function printSelfHealing(r: SelfHealingResult) {
  const n3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  console.log(
    `\nself-healing: seed ${r.seed}, ${r.incidents.total} faults over ${r.windows} windows (one per kind per window, through the Alertmanager intake), the driver patch lands at window ${r.patchWindow}, verify window ${verifyWindowMs} ms`,
  );
  console.log('  judgement: what the service concluded, against the hidden truth');
  console.log(
    `  auto-apply success rate  ${n3(r.autoApplySuccessRate)} (${r.autoRuns.succeeded} of ${r.autoRuns.withVerdict} auto-applied runs verified; by the truth ${n3(r.autoApplyTrueSuccessRate)})`,
  );
  console.log(
    `  verified precision       ${n3(r.verifiedPrecision)} (${r.verified.reallyFixed} of ${r.verified.succeeded} runs marked succeeded really fixed their fault); failed though it was fixed: ${r.failedButFixed}`,
  );
  console.log(
    `  missed fixes             ${r.missedFixes.held} of ${r.missedFixes.of} faults whose fix works ≥ 90 % of the time were held for review`,
  );
  const m = r.mttrMs;
  console.log(
    `  MTTR                     resolved by a run or monitoring: avg ${ms(m.byRuns.avg)}, p50 ${ms(m.byRuns.p50)} (${m.byRuns.count}); by the operator at the window's end: avg ${ms(m.byOperator.avg)} (${m.byOperator.count})`,
  );
  console.log(
    `  incidents resolved       by a run ${r.incidents.resolvedByRun}, by monitoring ${r.incidents.resolvedByMonitoring}, by the operator ${r.incidents.resolvedByOperator}; monitoring re-fired ${r.monitoring.refired} alerts, resolved ${r.monitoring.resolved}`,
  );
  console.log(
    `  ops receiver             ${r.receiver.verified} signed calls verified, ${r.receiver.rejected} rejected (401), ${r.receiver.repeats} repeated webhook-ids; forged calls refused: ${r.receiver.forgedRefused ? 'yes' : 'NO'}`,
  );
  console.log('\n  targets (issue 22)');
  for (const t of r.targets) console.log(`  ${t.met ? 'met    ' : 'MISSED '} ${t.target.padEnd(70)} ${t.value}`);
  console.log('\n  per fault kind (the reliability is hidden from the service)');
  console.log('  kind        playbook                reliability   auto  held  auto-applied at its faults');
  for (const k of r.kinds) {
    console.log(
      `  ${k.id.padEnd(11)} ${k.playbookId.padEnd(23)} ${k.reliability.padEnd(12)} ${String(k.autoApplied).padStart(5)} ${String(k.heldForReview).padStart(5)}  ${k.autoAt.join(' ')}`,
    );
  }
  console.log(
    '\n  confidence (posterior mean) / lower bound per window: A auto-applied, R held for review, x the fault was not really fixed',
  );
  console.log(`  window  ${r.kinds.map((k) => k.id.padStart(17)).join('')}`);
  for (let w = 1; w <= r.windows; w++) {
    const cells = r.kinds.map((k) => {
      const t = k.timeline.find((x) => x.window === w);
      return (
        t
          ? `${t.confidence.toFixed(2)}/${t.lowerBound === null ? '—' : t.lowerBound.toFixed(2)} ${t.decision === 'auto' ? 'A' : 'R'}${t.fixed ? ' ' : 'x'}`
          : '—'
      ).padStart(17);
    });
    console.log(`  ${String(w).padStart(6)}  ${cells.join('')}${w === r.patchWindow ? '   ← patch' : ''}`);
  }
}

function printCanary(r: CanaryResult) {
  const of = (n: number, d: number) => `${n} of ${d}${d > 0 ? ` (${((n / d) * 100).toFixed(0)} %)` : ''}`;
  console.log(
    `\ncanary and promote: seed ${r.seed}, ${r.faults} latency regressions through the Alertmanager intake, tune_config's six candidates each; the canary measures with noise (p95 ±8 %, errors ±0.2 points)`,
  );
  console.log('  judgement: what the canary step promoted, against the hidden true quality of the settings it tried');
  console.log(`  faults some setting really fixes   ${r.fixable} of ${r.faults}`);
  console.log(`  promoted                           ${r.promoted.total}`);
  console.log(`    really acceptable (meets targets) ${of(r.promoted.reallyPassing, r.promoted.total)}`);
  console.log(`    truly the best of those tried     ${of(r.promoted.trulyBest, r.promoted.total)}`);
  console.log(
    `  no candidate passed                ${r.noCandidate.total}; really unfixable by any setting: ${of(r.noCandidate.reallyUnfixable, r.noCandidate.total)}`,
  );
  console.log(
    `    canary restored within its SLA    ${of(r.noCandidate.restoredWithinSla, r.noCandidate.total)}; slowest restore ${ms(r.noCandidate.maxRestoreMs)}`,
  );
  console.log(
    `  verdicts                           ${r.verdicts.succeeded} succeeded (${r.verdicts.succeededReallyFixed} really fixed), ${r.verdicts.failed} failed`,
  );
  console.log(
    `  ops receiver                       ${r.receiver.verified} signed calls verified, ${r.receiver.rejected} rejected`,
  );
}

/** Half 1: the same traffic with the loop on and off. */
async function loopHalf() {
  console.log(`\nloop half: ${windows} windows × ${perWindow} requests`);
  const results: Record<'on' | 'off', SimulationResult> = {} as never;
  for (const mode of ['on', 'off'] as const) {
    const apiKey = await tenantKey(running.url, `sim-loop-${mode}`, mode === 'on');
    process.stderr.write(`loop ${mode}: `);
    results[mode] = await runSimulation({
      baseUrl: running.url,
      apiKey,
      seed,
      windows,
      requestsPerWindow: perWindow,
      approveRecoveries: mode === 'on',
      onWindow: (w) => process.stderr.write(`${w.window}${w.window === windows ? '\n' : ' '}`),
    });
  }
  console.log('\nincident rate per window (incidents per 100 requests)');
  console.log('  window  loop on  loop off');
  for (let i = 0; i < windows; i++) {
    console.log(
      `  ${String(i + 1).padStart(6)}  ${results.on.windows[i].incidentRate.toFixed(1).padStart(7)}  ${results.off.windows[i].incidentRate.toFixed(1).padStart(8)}`,
    );
  }
  console.log(
    `\ntotal incidents: loop on ${results.on.totalIncidents}, loop off ${results.off.totalIncidents} (${results.on.totalRequests} requests each)`,
  );
  printFailures('loop on', results.on);
  printFailures('loop off', results.off);

  mkdirSync(path.dirname(path.resolve(chartPath)), { recursive: true });
  writeFileSync(
    chartPath,
    lineChartSvg(
      `Incident rate per window, seed ${seed} (${perWindow} requests per window)`,
      'incidents per 100 requests',
      [
        {
          label: `loop on (${results.on.totalIncidents} incidents)`,
          colour: '#1b7f3b',
          points: results.on.windows.map((w) => w.incidentRate),
        },
        {
          label: `integration_loop off (${results.off.totalIncidents} incidents)`,
          colour: '#c0392b',
          points: results.off.windows.map((w) => w.incidentRate),
        },
      ],
      results.on.failures
        .filter((f) => f.policyActiveFromWindow !== null)
        .map((f) => ({ x: f.policyActiveFromWindow!, label: `${f.id} active` })),
    ),
  );
  console.log(`\nchart: ${chartPath}`);
  return { windows, perWindow, results };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-sim-'));
const running = await startApp(
  loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    EMBEDDED_PG_PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: ADMIN,
    RECOVERY_VERIFY_WINDOW_MS: verifyWindowMs,
    RUN_RETRY_BASE_MS: '50',
    // The simulated ops receiver listens on loopback: open it, as an installation with local actuators would (ADR 0013).
    ACTUATOR_ALLOW_NETWORKS: '127.0.0.0/8',
  }),
);
try {
  console.log(`simulation: seed ${seed}, service ${running.url}`);
  const json: Record<string, unknown> = { seed };
  if (halves.includes('loop')) json.loop = await loopHalf();
  if (halves.includes('healing')) {
    const key = await tenantKey(running.url, 'sim-healing', true);
    process.stderr.write('self-healing: ');
    const healing = await runSelfHealing({
      baseUrl: running.url,
      apiKey: key,
      seed,
      windows: healWindows,
      onWindow: (w) => process.stderr.write(`${w}${w === healWindows ? '\n' : ' '}`),
    });
    printSelfHealing(healing);
    json.healing = healing;
  }
  if (halves.includes('canary')) {
    const key = await tenantKey(running.url, 'sim-canary', true);
    process.stderr.write('canary: ');
    const canary = await runCanaryTuning({
      baseUrl: running.url,
      apiKey: key,
      seed,
      faults: canaryFaults,
      onFault: (n) => process.stderr.write(`${n}${n === canaryFaults ? '\n' : ' '}`),
    });
    printCanary(canary);
    json.canary = canary;
  }
  if (env.SIM_JSON) writeFileSync(env.SIM_JSON, JSON.stringify(json, null, 2));
} finally {
  await running.close();
  rmSync(dataDir, { recursive: true, force: true });
}
