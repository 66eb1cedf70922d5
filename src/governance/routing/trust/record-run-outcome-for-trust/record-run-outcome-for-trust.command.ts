import { Command } from '@nestjs/cqrs';
import type { RunOutcome } from '../trust-formula.js';
import type { TrustChangeView } from '../trust.view.js';

export interface RecordRunOutcomeForTrustProps {
  tenantId: string;
  runId: string;
  agentId: string;
  /** null: the run's incident named no capability; the agent's base confidence moves. */
  capability: string | null;
  outcome: RunOutcome;
  /** The run's own account (e.g. "verification passed", "recurrence within the window"). */
  reason?: string | null;
}

/**
 * A recovery run finished (integration calls this on RecoveryRunFinished): the trust of the
 * agent's capability moves by the formula of ADR 0009. Once per (run, agent, capability): a
 * repeated delivery changes nothing. Answers the change, or null (canceled, unknown agent, repeat).
 */
export interface RecordRunOutcomeForTrust extends RecordRunOutcomeForTrustProps {}
export class RecordRunOutcomeForTrust extends Command<TrustChangeView | null> {
  constructor(props: RecordRunOutcomeForTrustProps) {
    super();
    Object.assign(this, props);
  }
}
