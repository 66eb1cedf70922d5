import type { RecoveryTemplate } from '../recovery/recovery-generator.js';
import type { PatternRow } from './failure-pattern.repository.js';

export interface PatternView {
  id: string;
  errorType: string;
  template: string;
  occurrenceCount: number;
  affectedAgents: string[];
  capabilities: string[];
  recoveryTemplate: RecoveryTemplate | null;
  autoApplyRecovery: boolean;
  firstIncidentId: string | null;
  /** Set when this pattern was merged into another (which holds its incidents, recoveries and policy now). */
  mergedIntoId: string | null;
  lastSeenAt: string;
  createdAt: string;
  updatedAt: string;
}

export const patternView = (r: PatternRow): PatternView => ({
  id: r.id,
  errorType: r.error_type,
  template: r.template,
  occurrenceCount: r.occurrence_count,
  affectedAgents: r.affected_agents,
  capabilities: r.capabilities,
  recoveryTemplate: r.recovery_template,
  autoApplyRecovery: r.auto_apply_recovery,
  firstIncidentId: r.first_incident_id,
  mergedIntoId: r.merged_into_id ?? null,
  lastSeenAt: r.last_seen_at.toISOString(),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export interface PatternHistoryView {
  event: 'merged';
  mergedPatternId: string | null;
  templateBefore: string;
  templateAfter: string;
  occurrencesMoved: number;
  incidentId: string | null;
  at: string;
}
