import { Command } from '@nestjs/cqrs';
import type { Playbook } from '../playbook-catalog.js';
import type { RecoveryDecision } from '../recovery.repository.js';

/** What bridge 3 needs of the playbook, so it need not look the recovery up again. */
export type SuggestedPlaybook = Pick<Playbook, 'id' | 'name' | 'policy'>;

export interface SuggestedRecovery {
  recoveryId: string;
  playbookId: string;
  playbook: SuggestedPlaybook;
  suggestionType: 'template' | 'generated';
  /** The learned confidence: the posterior mean of the fix's reliability (ADR 0014). */
  confidence: number;
  autoApplied: boolean;
  /** The run an auto-applied recovery started. */
  runId: string | null;
  /** Trusted enough to auto-apply, but a guardrail sent it to review: which and why. */
  heldBy: { guardrail: string; reason: string } | null;
  /** Why it was applied or held, with the evidence. */
  decision: RecoveryDecision;
}

export interface SuggestRecoveryProps {
  tenantId: string;
  incidentId: string;
  patternId: string;
  message: string;
  agentId: string | null;
  capability: string | null;
  /** The kill switch pauses auto-apply: everything goes to review. Default: `false`. */
  autoApplyPaused?: boolean;
}

/** Suggests a recovery for an incident of a pattern; applies it at once when trusted enough. */
export interface SuggestRecovery extends SuggestRecoveryProps {}
export class SuggestRecovery extends Command<SuggestedRecovery> {
  constructor(props: SuggestRecoveryProps) {
    super();
    Object.assign(this, props);
  }
}
