import { ApiProperty } from '@nestjs/swagger';
import type { RunOutcome } from './trust-formula.js';

export interface TrustChangeRow {
  id: string;
  agent_id: string;
  capability: string;
  run_id: string;
  outcome: RunOutcome;
  previous_trust: number;
  new_trust: number;
  reason: string;
  created_at: Date;
}

/** One change of an agent's trust, with the run that caused it. */
export class TrustChangeView {
  @ApiProperty() agentId!: string;
  /** null: the agent as a whole (a run without a capability moves its base confidence). */
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty() previousTrust!: number;
  @ApiProperty() newTrust!: number;
  @ApiProperty() runId!: string;
  @ApiProperty({ enum: ['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'canceled'] }) outcome!: RunOutcome;
  /** `0.75 → 0.8125 after run … (succeeded)`, plus the run's own reason when it gave one. */
  @ApiProperty() reason!: string;
  @ApiProperty() at!: string;
}

export const trustChangeView = (r: TrustChangeRow): TrustChangeView => ({
  agentId: r.agent_id,
  capability: r.capability === '' ? null : r.capability,
  previousTrust: r.previous_trust,
  newTrust: r.new_trust,
  runId: r.run_id,
  outcome: r.outcome,
  reason: r.reason,
  at: r.created_at.toISOString(),
});
