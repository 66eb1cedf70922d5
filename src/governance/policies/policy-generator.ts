import { CelProgramCache, MAX_CONDITION_LENGTH, celString } from './cel.js';
import type { PolicyAction, PolicyCategory, PolicyScope } from './policy.view.js';

// A pattern's condition only changes when it gains an agent or a capability, and checking one
// (parse, plan, trial run) costs more than the rest of bridge 3's work: each text is checked once.
const generatedConditions = new CelProgramCache(1000);

export type { PolicyAction, PolicyCategory, PolicyScope };
export type PolicyStatus = 'active' | 'draft';

export interface PolicyGenerationInput {
  tenantId: string;
  pattern: {
    id: string;
    errorType: string;
    template: string;
    occurrenceCount: number;
    /** Agents named by the pattern's incidents. */
    affectedAgents: string[];
    /** Capabilities named by the pattern's incidents. */
    capabilities: string[];
  };
  recovery: { id: string; playbookId: string; confidence: number; status: 'applied' | 'pending_review' };
  /** The playbook that recovered it, and the policy it recommends (config/playbooks.json). */
  playbook: { id: string; name: string; policy: { category: PolicyCategory; action: PolicyAction } };
}

export interface GeneratedPolicy {
  name: string;
  description: string;
  category: PolicyCategory;
  action: PolicyAction;
  scope: PolicyScope;
  scopeAgentId: string | null;
  /** CEL over request.agentId / request.capability / request.tenantId. */
  condition: string;
  confidence: number;
  status: PolicyStatus;
}

/** A policy goes live on its own only above this confidence… */
export const POLICY_ACTIVE_CONFIDENCE = 0.85;
/** …and only once the pattern has recurred this often; otherwise it stays a draft for review. */
export const POLICY_ACTIVE_MIN_OCCURRENCES = 3;

/**
 * Derives the prevention policy for a pattern from its recovery (bridge 3). Pure and
 * deterministic: the same pattern state yields the same policy, so the caller can upsert
 * "one policy per pattern".
 *
 * - category/action: copied from the playbook's `policy` block in config/playbooks.json
 *   (e.g. backoff_and_route_away → routing/route_away, code_patch → safety/block,
 *   retry_with_backoff → operational/warn); the catalog owns that mapping.
 * - scope: 'agent' when exactly one agent is affected, else 'tenant'. Generated policies are
 *   never 'global': one tenant's incidents must not change another tenant's routing.
 * - condition: the tenant, plus the affected agents and capabilities when there are any, as long
 *   as they fit the length any condition may have (MAX_CONDITION_LENGTH); a pattern seen on more
 *   agents than that (pods named one by one, say) is the tenant's: its agents are left out of the
 *   condition, then, if still too long, its capabilities.
 * - confidence: a recovery that was applied is evidence the diagnosis holds, so it closes
 *   half the gap to 1 (`c + (1 − c) / 2`); a pending one keeps the recovery's confidence.
 * - status: 'active' iff confidence > 0.85 and occurrenceCount ≥ 3, else 'draft'.
 */
export function generatePolicy(input: PolicyGenerationInput): GeneratedPolicy {
  const { tenantId, pattern, recovery, playbook } = input;
  const seenAgents = uniqueSorted(pattern.affectedAgents);
  const seenCapabilities = uniqueSorted(pattern.capabilities);
  const choices: Array<[string[], string[]]> = [
    [seenAgents, seenCapabilities],
    [[], seenCapabilities],
    [[], []],
  ];
  const [agents, capabilities] = choices.find(
    ([a, c]) => buildCondition(tenantId, a, c).length <= MAX_CONDITION_LENGTH,
  )!;

  const condition = buildCondition(tenantId, agents, capabilities);
  // Generated text must always be valid; failing here is a bug, not bad input.
  const valid = generatedConditions.get(condition);
  if (!valid.ok) throw new Error(`generated an invalid policy condition (${valid.error}): ${condition}`);

  const base = clamp01(recovery.confidence);
  const confidence = round4(recovery.status === 'applied' ? base + (1 - base) / 2 : base);
  const status: PolicyStatus =
    confidence > POLICY_ACTIVE_CONFIDENCE && pattern.occurrenceCount >= POLICY_ACTIVE_MIN_OCCURRENCES
      ? 'active'
      : 'draft';
  const scope: PolicyScope = agents.length === 1 ? 'agent' : 'tenant';

  const who = agents.length
    ? `agent${agents.length > 1 ? 's' : ''} ${agents.join(', ')}`
    : `all agents of the tenant${seenAgents.length > 1 ? ` (seen on ${seenAgents.length} agents)` : ''}`;
  const what = capabilities.length
    ? ` for ${capabilities.join(', ')}`
    : seenCapabilities.length
      ? ` for any capability (seen on ${seenCapabilities.length})`
      : '';
  return {
    name: `${playbook.name}: ${pattern.errorType} (pattern ${pattern.id})`,
    description:
      `Generated from pattern ${pattern.id} ("${pattern.template}", ${pattern.occurrenceCount} occurrence(s)) ` +
      `after recovery ${recovery.id} (${playbook.id}, ${recovery.status}). ` +
      `${playbook.policy.action} requests to ${who}${what}.`,
    category: playbook.policy.category,
    action: playbook.policy.action,
    scope,
    scopeAgentId: scope === 'agent' ? agents[0]! : null,
    condition,
    confidence,
    status,
  };
}

/** `request.tenantId == "t1" && request.agentId in ["a", "b"] && request.capability == "summarise"`. */
export function buildCondition(tenantId: string, agents: readonly string[], capabilities: readonly string[]): string {
  const clauses = [`request.tenantId == ${celString(tenantId)}`];
  const field = (name: string, values: readonly string[]) => {
    if (values.length === 1) clauses.push(`request.${name} == ${celString(values[0]!)}`);
    else if (values.length > 1) clauses.push(`request.${name} in [${values.map(celString).join(', ')}]`);
  };
  field('agentId', agents);
  field('capability', capabilities);
  return clauses.join(' && ');
}

function uniqueSorted(values: readonly (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))].sort();
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

// Avoids float noise such as 0.7 + 0.3 / 2 = 0.8500000000000001 deciding the 0.85 boundary.
function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
