// The HTTP round trip of POST /policies/evaluate with 1 000 active policies in the tenant
// (issue 4's benchmark case; the in-process engine is timed by policy-evaluate.bench.ts).
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../test/fixtures/error-corpus.js';

export interface PolicyEvaluateHttpResult {
  policies: number;
  calls: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function call(baseUrl: string, key: string, path: string, body: unknown): Promise<Response> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path} → ${res.status} ${await res.text()}`);
  return res;
}

/** Creates `policies` agent-scoped active policies in a fresh tenant, then times `calls` sequential evaluations. */
export async function runPolicyEvaluateHttp(
  baseUrl: string,
  adminKey: string,
  policies = 1000,
  calls = 2000,
): Promise<PolicyEvaluateHttpResult> {
  const tenantId = `bench-policies-${Date.now().toString(36)}`;
  const created = await call(baseUrl, adminKey, '/admin/api-keys', { tenantId, name: 'bench policies', role: 'admin' });
  const { key } = (await created.json()) as { key: string };
  const next = mulberry32(20261124);
  const agent = (i: number) => `agent-${String(i).padStart(4, '0')}`;
  for (let i = 0; i < policies; i++) {
    const a = agent(Math.floor(next() * 400));
    const capability = `cap-${Math.floor(next() * 8)}`;
    await call(baseUrl, key, '/policies', {
      name: `bench policy ${i}`,
      category: 'operational',
      action: (['block', 'warn', 'escalate', 'route_away'] as const)[i % 4],
      scope: 'agent',
      scopeAgentId: a,
      condition: `request.agentId == "${a}" && request.capability == "${capability}"`,
      status: 'active',
    });
  }
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const body = {
      agentId: agent(Math.floor(next() * 400)),
      capability: `cap-${Math.floor(next() * 8)}`,
      context: { attempt: i },
    };
    const start = performance.now();
    const res = await call(baseUrl, key, '/policies/evaluate', body);
    await res.arrayBuffer();
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return { policies, calls, p50Ms: quantile(times, 0.5), p95Ms: quantile(times, 0.95), p99Ms: quantile(times, 0.99) };
}
