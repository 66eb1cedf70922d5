import { ApiProperty } from '@nestjs/swagger';
import type { EscalationRow, SymptomRow } from './signals.repository.js';

/** A breach of a sample against its series' baseline (`GET /signals/symptoms`). */
export interface SymptomView {
  id: string;
  metric: string;
  agentId: string | null;
  capability: string | null;
  severity: 'warning' | 'critical';
  value: number;
  baseline: { median: number; mad: number; samples: number };
  deltaPct: number | null;
  at: string;
}

/** Armed by enough symptoms of one kind for one agent; reported an incident (`GET /signals/escalations`). */
export class EscalationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() metric!: string;
  @ApiProperty({ type: String, nullable: true }) agentId!: string | null;
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty({ format: 'date-time' }) armedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  /** By the wall clock; detection itself goes by the samples' times. */
  @ApiProperty({ description: 'still armed by the wall clock (detection goes by the samples’ times)' })
  active!: boolean;
  @ApiProperty({ type: [String] }) symptomIds!: string[];
  @ApiProperty({ format: 'uuid', description: 'the incident it reported' }) incidentId!: string;
}

export class EscalationPage {
  @ApiProperty({ type: [EscalationView] }) items!: EscalationView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

/** An escalation still armed, with the worst severity among its symptoms. */
export interface ArmedEscalationView extends EscalationView {
  severity: 'warning' | 'critical';
}

export const symptomView = (r: SymptomRow): SymptomView => ({
  id: r.id,
  metric: r.metric,
  agentId: r.agent_id || null,
  capability: r.capability || null,
  severity: r.severity,
  value: r.value,
  baseline: { median: r.baseline, mad: r.mad, samples: r.baseline_samples },
  deltaPct: r.delta_pct,
  at: r.at.toISOString(),
});

export const escalationView = (r: EscalationRow): EscalationView => ({
  id: r.id,
  metric: r.metric,
  agentId: r.agent_id || null,
  capability: r.capability || null,
  armedAt: r.armed_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  active: r.expires_at.getTime() > Date.now(),
  symptomIds: r.symptom_ids,
  incidentId: r.incident_id,
});
