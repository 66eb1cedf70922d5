import { Command } from '@nestjs/cqrs';

export type DecisionKind = 'pattern_match' | 'recovery' | 'policy' | 'routing' | 'evaluation' | 'killswitch' | 'lifecycle' | 'patch' | 'run';

/** Adds an entry to the decisions timeline (incidentId null: a tenant-wide decision). */
export class RecordDecision extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string | null,
    readonly kind: DecisionKind,
    readonly summary: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super();
  }
}
