import { ApiProperty } from '@nestjs/swagger';
import type { IncidentSummary } from '../../incidents/get-incident-summaries/get-incident-summaries.query.js';
import {
  RECOVERY_STATUSES,
  type RecoveryDecision,
  type RecoveryRow,
  type RecoveryStatus,
} from './recovery.repository.js';

/** The incident a recovery was suggested for, as far as a reviewer needs it. */
export class RecoveryIncident {
  @ApiProperty() title!: string;
  @ApiProperty({ enum: ['open', 'mitigating', 'resolved'] }) status!: IncidentSummary['status'];
  @ApiProperty({ enum: ['api', 'alertmanager', 'degradation'] }) source!: IncidentSummary['source'];
}

/** The guardrail that sent a trusted fix to review. */
export class RecoveryHold {
  @ApiProperty() guardrail!: string;
  @ApiProperty() reason!: string;
}

/** Why bridge 2 auto-applied a suggestion or held it for review (ADR 0014). */
export class RecoveryDecisionView {
  @ApiProperty() autoApplied!: boolean;
  @ApiProperty({ example: 'auto-applied: 17 of the last 18 runs verified; lower bound 0.87 ≥ 0.60' }) reason!: string;
  @ApiProperty({ type: RecoveryHold, nullable: true }) heldBy!: RecoveryHold | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      "the learning rule's evidence: prior, runs and reviews considered, weighted counts, streak, confidence, lowerBound, trusted and the parameters",
  })
  evidence!: RecoveryDecision['evidence'];
}

/** A recovery as the API answers it: ids, and the names people read (playbook, pattern, incident). */
export class RecoveryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) incidentId!: string;
  @ApiProperty({ format: 'uuid' }) patternId!: string;
  @ApiProperty() playbookId!: string;
  @ApiProperty({ type: String, nullable: true, description: 'the playbook name (null: it left the catalog)' })
  playbookName!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the pattern's template" }) patternTemplate!: string | null;
  @ApiProperty({ type: RecoveryIncident, nullable: true }) incident!: RecoveryIncident | null;
  @ApiProperty({ type: String, nullable: true }) agentId!: string | null;
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty({ type: [String] }) steps!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ enum: ['template', 'generated'] }) suggestionType!: 'template' | 'generated';
  @ApiProperty({ description: 'the learned confidence: the posterior mean of how often this fix works (ADR 0014)' })
  confidence!: number;
  @ApiProperty({
    type: RecoveryDecisionView,
    nullable: true,
    description: 'why it was auto-applied or held (null: suggested before decisions were recorded)',
  })
  decision!: RecoveryDecisionView | null;
  @ApiProperty({ enum: RECOVERY_STATUSES }) status!: RecoveryStatus;
  @ApiProperty({ type: String, nullable: true }) decidedBy!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) decidedAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the guardrail that sent a trusted recovery to review instead of running it',
  })
  heldBy!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'when it expires unreviewed (then `expired`, which is no rejection); null: never',
  })
  expiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class RecoveryPage {
  @ApiProperty({ type: [RecoveryView] }) items!: RecoveryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

/** The names a page of recoveries shows, read once per page. */
export interface RecoveryNames {
  playbooks: (id: string) => string | null;
  templates: Map<string, string>;
  incidents: Map<string, IncidentSummary>;
}

export const recoveryView = (r: RecoveryRow, names: RecoveryNames): RecoveryView => {
  const incident = names.incidents.get(r.source_incident_id);
  return {
    id: r.id,
    incidentId: r.source_incident_id,
    patternId: r.source_pattern_id,
    playbookId: r.playbook_id,
    playbookName: names.playbooks(r.playbook_id),
    patternTemplate: names.templates.get(r.source_pattern_id) ?? null,
    incident: incident ? { title: incident.title, status: incident.status, source: incident.source } : null,
    agentId: r.agent_id,
    capability: r.capability,
    action: r.action,
    steps: r.steps,
    params: r.params,
    suggestionType: r.suggestion_type,
    confidence: r.confidence,
    decision: r.decision ?? null,
    status: r.status,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at?.toISOString() ?? null,
    heldBy: r.held_by,
    expiresAt: r.expires_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
};
