import type { EvaluationRow } from './evaluations.repository.js';

/** One recorded policy decision, as other modules read it (ListEvaluations). */
export interface EvaluationView {
  id: string;
  agentId: string | null;
  capability: string | null;
  decision: string;
  matched: Array<{ policyId: string; action: string; status: string }>;
  createdAt: string;
}

/** The HTTP list item: the view plus the request context and whether the kill switch decided it. */
export interface EvaluationDetailView extends EvaluationView {
  context: Record<string, unknown>;
  killSwitch: boolean;
}

export const evaluationView = (r: EvaluationRow): EvaluationView => ({
  id: r.id,
  agentId: r.agent_id,
  capability: r.capability,
  decision: r.decision,
  matched: r.matched,
  createdAt: r.created_at.toISOString(),
});

export const evaluationDetailView = (r: EvaluationRow): EvaluationDetailView => ({
  ...evaluationView(r),
  context: r.context,
  killSwitch: r.kill_switch,
});
