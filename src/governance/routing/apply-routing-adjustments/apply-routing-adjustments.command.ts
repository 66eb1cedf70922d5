import { Command } from '@nestjs/cqrs';

export interface ApplyRoutingAdjustmentsResult {
  /** Adjustments written (created or updated); 0 for a disabled policy. */
  adjustmentCount: number;
  /** The agents adjusted, sorted; empty for a disabled policy. */
  affectedAgents: string[];
  /** Which adjustments were written: one row each per (policy, agent, capability); empty for a disabled policy. */
  adjustments: AdjustmentKey[];
  /** The policy's status the adjustments were written for. */
  policyStatus: 'draft' | 'active' | 'disabled';
}

/** An adjustment's key within its policy (null capability: the agent as a whole). */
export interface AdjustmentKey {
  agentId: string;
  capability: string | null;
}

export interface ApplyRoutingAdjustmentsProps {
  tenantId: string;
  policyId: string;
  agents: string[];
  capabilities: string[];
  /** The agents are registered already (bridge 1 registers an incident's agent): skip that write. Default false. */
  agentsRegistered?: boolean;
  /**
   * A PolicyActivated (no incident): every existing adjustment of the policy is re-applied (made
   * lasting); a policy with none (a manual one) gets none. Otherwise (default) an incident: only
   * `agents` are written, none when it names no agent.
   */
  activation?: boolean;
}

/**
 * Bridge 4: write the policy's routing adjustments for these agents (× capabilities; none →
 * the agent as a whole), one row per (policy, agent, capability), updated in place. Draft
 * policies give temporary, halved adjustments; active ones lasting ones; a disabled policy's
 * adjustments are deactivated instead. On activation the policy's existing (agent, capability)
 * pairs are refreshed (made lasting); no new pair is added. For an incident all existing rows
 * are rewritten only when the policy has gone active with temporary rows left, or its action
 * changed (a row of another type is in force). Joins the caller's transaction.
 */
export interface ApplyRoutingAdjustments extends ApplyRoutingAdjustmentsProps {}
export class ApplyRoutingAdjustments extends Command<ApplyRoutingAdjustmentsResult> {
  constructor(props: ApplyRoutingAdjustmentsProps) {
    super();
    Object.assign(this, props);
  }
}
