import { CelProgramCache, celBindings, runProgram, type CelProgram, type ConditionGuards } from '../cel.js';
import type { PolicyAction, PolicyScope } from '../policy-generator.js';
import type { PolicyRuleStatus } from '../policy.view.js';

/** What an evaluation answers: the most severe action of the matching active policies, else allow. */
export type PolicyDecisionValue = 'allow' | PolicyAction;

/** block > route_away > escalate > warn > allow. */
export const DECISION_PRECEDENCE: Readonly<Record<PolicyDecisionValue, number>> = {
  allow: 0,
  warn: 1,
  escalate: 2,
  route_away: 3,
  block: 4,
};

/** A stored policy as the engine needs it (any status: the index drops disabled ones). */
export interface PolicySource {
  id: string;
  tenantId: string;
  action: PolicyAction;
  scope: PolicyScope;
  scopeAgentId: string | null;
  condition: string;
  status: PolicyRuleStatus;
}

/** A policy in the index, with its compiled condition (null when it does not compile). */
export interface IndexedPolicy {
  readonly id: string;
  readonly tenantId: string;
  readonly action: PolicyAction;
  readonly status: 'active' | 'draft';
  readonly scope: PolicyScope;
  readonly scopeAgentId: string | null;
  readonly condition: string;
  readonly program: CelProgram | null;
  readonly compileError: string | null;
  /** Necessary conditions on agentId / capability / tenantId, checked before the program runs. */
  readonly guards: ConditionGuards;
}

/**
 * The global or the tenant policies, as a list and indexed by the agents their conditions
 * require (`request.agentId == "a"` / `in [...]` at the top level), so a request only runs the
 * policies that can name its agent plus those that name none.
 */
export interface ScopedPolicies {
  readonly all: readonly IndexedPolicy[];
  /** No agentId guard: may match any agent. */
  readonly anyAgent: readonly IndexedPolicy[];
  /** By each agentId the policy's guard allows. */
  readonly byGuardedAgent: ReadonlyMap<string, readonly IndexedPolicy[]>;
}

/**
 * The policies that can apply to one tenant's requests, compiled and split by scope so an
 * evaluation only runs the global list, the tenant list and the requesting agent's list
 * (never every agent-scoped policy of the tenant).
 */
export interface PolicyIndex {
  readonly tenantId: string;
  /** scope 'global' policies of every tenant. */
  readonly global: ScopedPolicies;
  /** scope 'tenant' policies of this tenant. */
  readonly tenant: ScopedPolicies;
  /** scope 'agent' policies of this tenant, by scopeAgentId. */
  readonly byAgent: ReadonlyMap<string, readonly IndexedPolicy[]>;
  /** Policies indexed (active + draft). */
  readonly size: number;
  /** Conditions that did not compile (never evaluated; saved conditions are validated, so normally 0). */
  readonly invalid: ReadonlyArray<{ policyId: string; error: string }>;
}

export interface PolicyRequest {
  tenantId: string;
  agentId?: string | null;
  capability?: string | null;
  context?: Record<string, unknown> | null;
}

export interface MatchedPolicy {
  policyId: string;
  action: PolicyAction;
  /** 'draft' policies are shadow: reported here, never enforced. */
  status: 'active' | 'draft';
}

export interface EngineResult {
  decision: PolicyDecisionValue;
  /** Enforced (active) first, then shadow (draft); each by severity, then policy id. */
  matched: MatchedPolicy[];
  /** Conditions that errored at evaluation: skipped, for the caller to log. */
  errors: Array<{ policyId: string; error: string }>;
}

/**
 * The policy decision point, pure and in-process: build an index once per tenant (compiling
 * every condition once, through a shared program cache), then evaluate requests against it.
 * It reads no database and no clock, so it can be benchmarked and unit-tested directly.
 */
export class PolicyEngine {
  constructor(readonly programs: CelProgramCache = new CelProgramCache(20_000)) {}

  /**
   * Disabled policies are left out. Another tenant's policy is kept only when it is global.
   * Order within each list is the input order (callers pass created_at, id order).
   */
  buildIndex(tenantId: string, policies: Iterable<PolicySource>): PolicyIndex {
    const global: IndexedPolicy[] = [];
    const tenant: IndexedPolicy[] = [];
    const byAgent = new Map<string, IndexedPolicy[]>();
    const invalid: Array<{ policyId: string; error: string }> = [];
    let size = 0;
    for (const p of policies) {
      if (p.status !== 'active' && p.status !== 'draft') continue;
      if (p.scope !== 'global' && p.tenantId !== tenantId) continue;
      if (p.scope === 'agent' && !p.scopeAgentId) continue;
      const compiled = this.programs.get(p.condition);
      const indexed: IndexedPolicy = Object.freeze({
        id: p.id,
        tenantId: p.tenantId,
        action: p.action,
        status: p.status,
        scope: p.scope,
        scopeAgentId: p.scopeAgentId,
        condition: p.condition,
        program: compiled.ok ? compiled.program : null,
        compileError: compiled.ok ? null : compiled.error,
        guards: compiled.ok ? compiled.guards : {},
      });
      if (!compiled.ok) invalid.push({ policyId: p.id, error: compiled.error });
      size++;
      if (p.scope === 'global') global.push(indexed);
      else if (p.scope === 'tenant') tenant.push(indexed);
      else {
        const list = byAgent.get(p.scopeAgentId!);
        if (list) list.push(indexed);
        else byAgent.set(p.scopeAgentId!, [indexed]);
      }
    }
    return { tenantId, global: scoped(global), tenant: scoped(tenant), byAgent, size, invalid };
  }

  /**
   * Evaluates one request. A policy matches when it is in scope (global; the tenant's; or
   * scoped to the requesting agent) and its condition is true. The decision is the most
   * severe action among matching *active* policies; drafts are only reported. A condition
   * that errors is skipped and returned in `errors`. Never throws.
   */
  evaluate(index: PolicyIndex, request: PolicyRequest): EngineResult {
    // The guards below must see exactly what the programs see: a string, or null when absent.
    const agentId = request.agentId ?? null;
    const capability = request.capability ?? null;
    const bindings = celBindings({
      request: {
        agentId: agentId ?? undefined,
        capability: capability ?? undefined,
        tenantId: request.tenantId,
        context: request.context ?? undefined,
      },
    });
    const matched: MatchedPolicy[] = [];
    let errors: EngineResult['errors'] | null = null;
    let decision: PolicyDecisionValue = 'allow';

    const run = (list: readonly IndexedPolicy[] | undefined) => {
      if (!list) return;
      for (let i = 0; i < list.length; i++) {
        const p = list[i]!;
        if (!p.program) continue; // reported once, when the index was built
        const g = p.guards;
        // A failed guard means a conjunct is false: the condition is false, no need to run it.
        if (g.agentId && (agentId === null || !g.agentId.has(agentId))) continue;
        if (g.capability && (capability === null || !g.capability.has(capability))) continue;
        if (g.tenantId && !g.tenantId.has(request.tenantId)) continue;
        const r = runProgram(p.program, bindings);
        if (r.error !== undefined) {
          (errors ??= []).push({ policyId: p.id, error: r.error });
          continue;
        }
        if (!r.matched) continue;
        matched.push({ policyId: p.id, action: p.action, status: p.status });
        if (p.status === 'active' && DECISION_PRECEDENCE[p.action] > DECISION_PRECEDENCE[decision]) decision = p.action;
      }
    };
    run(index.global.anyAgent);
    run(index.tenant.anyAgent);
    if (agentId !== null) {
      run(index.global.byGuardedAgent.get(agentId));
      run(index.tenant.byGuardedAgent.get(agentId));
      run(index.byAgent.get(agentId));
    }
    if (matched.length > 1) matched.sort(compareMatched);
    return { decision, matched, errors: errors ?? [] };
  }
}

function scoped(all: IndexedPolicy[]): ScopedPolicies {
  const anyAgent: IndexedPolicy[] = [];
  const byGuardedAgent = new Map<string, IndexedPolicy[]>();
  for (const p of all) {
    if (!p.guards.agentId) {
      anyAgent.push(p);
      continue;
    }
    for (const agentId of p.guards.agentId) {
      const list = byGuardedAgent.get(agentId);
      if (list) list.push(p);
      else byGuardedAgent.set(agentId, [p]);
    }
  }
  return { all, anyAgent, byGuardedAgent };
}

function compareMatched(a: MatchedPolicy, b: MatchedPolicy): number {
  if (a.status !== b.status) return a.status === 'active' ? -1 : 1;
  const severity = DECISION_PRECEDENCE[b.action] - DECISION_PRECEDENCE[a.action];
  if (severity !== 0) return severity;
  return a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0;
}
