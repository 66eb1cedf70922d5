import { Command } from '@nestjs/cqrs';
import type { CandidateAssessment } from './route-selector.js';

export interface RouteDecision {
  decisionId: string;
  capability: string;
  /** The chosen agent; null when no candidate is eligible (see reason). */
  agentId: string | null;
  reason: string | null;
  /** The chosen agent must pass a human checkpoint (an escalation adjustment or policy). */
  needsHumanCheckpoint: boolean;
  candidates: CandidateAssessment[];
}

export interface SelectRouteInput {
  capability: string;
  /** Absent: the tenant's registered agents with the capability. */
  candidates?: string[];
  context?: Record<string, unknown>;
}

export interface SelectRouteProps {
  tenantId: string;
  input: SelectRouteInput;
}

/**
 * CARE route selection: picks the agent for a capability from the candidates, honouring the
 * kill switch, routing adjustments in force and the policy decision for each candidate, and
 * records the decision (and each candidate's policy evaluation). Joins the caller's transaction.
 */
export interface SelectRoute extends SelectRouteProps {}
export class SelectRoute extends Command<RouteDecision> {
  constructor(props: SelectRouteProps) {
    super();
    Object.assign(this, props);
  }
}
