// `npm run simulate`: proof that the loop prevents repeats. Runs the same seeded fleet twice on a
// fresh embedded PostgreSQL, once with the loop on and once with `integration_loop` off, and prints
// the incident rate per window of both runs and each seeded failure's repeat rate before and after
// its policy became active. Writes a chart of incident rate over time (SIM_CHART).
//
// SIM_SEED (default 42), SIM_WINDOWS (24), SIM_REQUESTS_PER_WINDOW (60),
// SIM_CHART (docs/simulation-incident-rate.svg), SIM_JSON (unset: no JSON file).
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/platform/config/config.js';
import { lineChartSvg } from './chart.js';
import { runSimulation, type SimulationResult } from './run-simulation.js';

const env = process.env;
const seed = Number(env.SIM_SEED ?? 42);
const windows = Number(env.SIM_WINDOWS ?? 24);
const perWindow = Number(env.SIM_REQUESTS_PER_WINDOW ?? 60);
const chartPath = env.SIM_CHART ?? 'docs/simulation-incident-rate.svg';
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
  const res = await fetch(`${url}${p}`, { method, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ key: string }>;
}

/** A tenant of its own for each run, with the loop switched on or off for that tenant only. */
async function tenantKey(url: string, tenantId: string, loop: boolean): Promise<string> {
  const { key } = await adminCall(url, 'POST', '/admin/api-keys', { tenantId, name: `simulation ${tenantId}`, role: 'admin' });
  const res = await fetch(`${url}/integration/flags/integration_loop`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled: loop, scope: 'tenant' }),
  });
  if (!res.ok) throw new Error(`setting integration_loop → ${res.status}`);
  return key;
}

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

const dataDir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-sim-'));
const running = await startApp(
  loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN }),
);
try {
  console.log(`simulation: seed ${seed}, ${windows} windows × ${perWindow} requests, service ${running.url}`);
  const results: Record<'on' | 'off', SimulationResult> = {} as never;
  for (const mode of ['on', 'off'] as const) {
    const apiKey = await tenantKey(running.url, `sim-loop-${mode}`, mode === 'on');
    process.stderr.write(`loop ${mode}: `);
    results[mode] = await runSimulation({
      baseUrl: running.url, apiKey, seed, windows, requestsPerWindow: perWindow, approveRecoveries: mode === 'on',
      onWindow: (w) => process.stderr.write(`${w.window}${w.window === windows ? '\n' : ' '}`),
    });
  }
  console.log('\nincident rate per window (incidents per 100 requests)');
  console.log('  window  loop on  loop off');
  for (let i = 0; i < windows; i++) {
    console.log(`  ${String(i + 1).padStart(6)}  ${results.on.windows[i].incidentRate.toFixed(1).padStart(7)}  ${results.off.windows[i].incidentRate.toFixed(1).padStart(8)}`);
  }
  console.log(`\ntotal incidents: loop on ${results.on.totalIncidents}, loop off ${results.off.totalIncidents} (${results.on.totalRequests} requests each)`);
  printFailures('loop on', results.on);
  printFailures('loop off', results.off);

  mkdirSync(path.dirname(path.resolve(chartPath)), { recursive: true });
  writeFileSync(
    chartPath,
    lineChartSvg(
      `Incident rate per window, seed ${seed} (${perWindow} requests per window)`,
      'incidents per 100 requests',
      [
        { label: `loop on (${results.on.totalIncidents} incidents)`, colour: '#1b7f3b', points: results.on.windows.map((w) => w.incidentRate) },
        { label: `integration_loop off (${results.off.totalIncidents} incidents)`, colour: '#c0392b', points: results.off.windows.map((w) => w.incidentRate) },
      ],
      results.on.failures.filter((f) => f.policyActiveFromWindow !== null).map((f) => ({ x: f.policyActiveFromWindow!, label: `${f.id} active` })),
    ),
  );
  console.log(`\nchart: ${chartPath}`);
  if (env.SIM_JSON) writeFileSync(env.SIM_JSON, JSON.stringify({ seed, windows, perWindow, results }, null, 2));
} finally {
  await running.close();
  rmSync(dataDir, { recursive: true, force: true });
}
