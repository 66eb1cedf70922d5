/**
 * Policy evaluation benchmark (in-process, no database): builds the engine's index for a tenant
 * with 1 000 active generated-style policies — 850 scoped to one agent each (over 400 agents),
 * 140 tenant-scoped over several agents, 10 global ones from another tenant — then times
 * 20 000 `PolicyEngine.evaluate` calls on requests for known and unknown agents.
 *
 *   npm run build && node dist/bench/policy-evaluate.bench.js
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { celString } from '../src/governance/policies/cel.js';
import { PolicyEngine, type PolicySource } from '../src/governance/policies/evaluate-policies/policy-engine.js';
import { buildCondition } from '../src/governance/policies/policy-generator.js';
import type { PolicyAction } from '../src/governance/policies/policy-generator.js';
import { mulberry32 } from '../test/fixtures/error-corpus.js';

export interface PolicyEvaluateBenchResult {
  policies: number;
  medianUs: number;
  p95Us: number;
  p99Us: number;
}

const TENANT = 'bench-tenant';
const AGENTS = 400;
const AGENT_POLICIES = 850;
const TENANT_POLICIES = 140;
const GLOBAL_POLICIES = 10;
const EVALUATIONS = 20_000;
const WARMUP = 2_000;
const CAPABILITIES = ['summarise', 'translate', 'classify', 'embed', 'search', 'plan', 'code', 'refund'];
const ACTIONS: PolicyAction[] = ['warn', 'warn', 'route_away', 'block', 'escalate'];

function percentile(sortedNs: readonly bigint[], p: number): number {
  const index = Math.min(sortedNs.length - 1, Math.ceil((p / 100) * sortedNs.length) - 1);
  return Number(sortedNs[index]!) / 1000;
}

/** The policies, shaped like bridge 3's output (plus a few context conditions, as admins write). */
export function benchPolicies(next: () => number = mulberry32(20241124)): PolicySource[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const agent = (i: number) => `agent-${String(i).padStart(4, '0')}`;
  const policies: PolicySource[] = [];
  const add = (scope: PolicySource['scope'], scopeAgentId: string | null, condition: string, tenantId = TENANT) =>
    policies.push({
      id: randomUUID(),
      tenantId,
      action: pick(ACTIONS),
      scope,
      scopeAgentId,
      condition,
      status: 'active',
    });

  for (let i = 0; i < AGENT_POLICIES; i++) {
    const a = agent(Math.floor(next() * AGENTS));
    const caps = next() < 0.3 ? [] : [pick(CAPABILITIES)];
    const condition =
      next() < 0.15
        ? `${buildCondition(TENANT, [a], caps)} && has(request.context.retries) && request.context.retries > ${1 + Math.floor(next() * 5)}`
        : buildCondition(TENANT, [a], caps);
    add('agent', a, condition);
  }
  for (let i = 0; i < TENANT_POLICIES; i++) {
    const agents = Array.from({ length: 2 + Math.floor(next() * 4) }, () => agent(Math.floor(next() * AGENTS)));
    add('tenant', null, buildCondition(TENANT, agents, next() < 0.5 ? [pick(CAPABILITIES)] : []));
  }
  for (let i = 0; i < GLOBAL_POLICIES; i++) {
    add(
      'global',
      null,
      `request.capability == ${celString(pick(CAPABILITIES))} && has(request.context.region) && request.context.region == "embargoed-${i}"`,
      'platform',
    );
  }
  return policies;
}

export function runPolicyEvaluateBench(): PolicyEvaluateBenchResult {
  const next = mulberry32(20241124);
  const engine = new PolicyEngine();
  const index = engine.buildIndex(TENANT, benchPolicies(next));
  if (index.size !== AGENT_POLICIES + TENANT_POLICIES + GLOBAL_POLICIES)
    throw new Error(`indexed ${index.size} policies`);
  if (index.invalid.length > 0)
    throw new Error(`${index.invalid.length} conditions did not compile: ${index.invalid[0]!.error}`);

  // Requests are built up front so only evaluation is timed: 90 % known agents, 10 % unknown.
  const total = WARMUP + EVALUATIONS;
  const requests = Array.from({ length: total }, () => ({
    tenantId: TENANT,
    agentId:
      next() < 0.9
        ? `agent-${String(Math.floor(next() * AGENTS)).padStart(4, '0')}`
        : `unknown-${Math.floor(next() * 1000)}`,
    capability: CAPABILITIES[Math.floor(next() * CAPABILITIES.length)]!,
    context: {
      retries: Math.floor(next() * 8),
      region: next() < 0.05 ? 'embargoed-3' : 'eu-west-1',
      requestId: randomUUID(),
    },
  }));

  const durations: bigint[] = [];
  let matched = 0;
  let errors = 0;
  for (let i = 0; i < total; i++) {
    const start = process.hrtime.bigint();
    const result = engine.evaluate(index, requests[i]!);
    const elapsed = process.hrtime.bigint() - start;
    if (i >= WARMUP) durations.push(elapsed);
    matched += result.matched.length;
    errors += result.errors.length;
  }
  // An engine that matches nothing, or errors, measures nothing useful: fail loudly.
  if (matched === 0) throw new Error('no evaluation matched any policy');
  if (errors > 0) throw new Error(`${errors} condition evaluations errored`);

  durations.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    policies: index.size,
    medianUs: percentile(durations, 50),
    p95Us: percentile(durations, 95),
    p99Us: percentile(durations, 99),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = runPolicyEvaluateBench();
  const us = (n: number) => `${n.toFixed(1)} µs`;
  console.log(
    `policy evaluate: ${result.policies} active policies, ${EVALUATIONS} evaluations (PolicyEngine.evaluate, in-process): ` +
      `median ${us(result.medianUs)}, p95 ${us(result.p95Us)}, p99 ${us(result.p99Us)}`,
  );
}
