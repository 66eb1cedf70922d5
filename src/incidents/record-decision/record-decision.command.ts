import { Command } from '@nestjs/cqrs';

export type DecisionKind =
  'pattern_match' | 'recovery' | 'policy' | 'routing' | 'evaluation' | 'killswitch' | 'lifecycle' | 'patch' | 'run';

export interface RecordDecisionProps {
  tenantId: string;
  incidentId: string | null;
  kind: DecisionKind;
  summary: string;
  /** Default: `{}`. */
  details?: Record<string, unknown>;
}

/** Adds an entry to the decisions timeline (incidentId null: a tenant-wide decision). */
export interface RecordDecision extends RecordDecisionProps {}
export class RecordDecision extends Command<void> {
  constructor(props: RecordDecisionProps) {
    super();
    Object.assign(this, props);
  }
}
