import { Command } from '@nestjs/cqrs';

export interface SuggestedRecovery {
  recoveryId: string;
  playbookId: string;
  suggestionType: 'template' | 'generated';
  confidence: number;
  autoApplied: boolean;
}

/** Suggests a recovery for an incident of a pattern; applies it at once when trusted enough. */
export class SuggestRecovery extends Command<SuggestedRecovery> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly patternId: string,
    readonly message: string,
    readonly agentId: string | null,
    readonly capability: string | null,
    /** The kill switch pauses auto-apply: everything goes to review. */
    readonly autoApplyPaused = false,
  ) {
    super();
  }
}
