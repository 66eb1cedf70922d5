import { ApiProperty } from '@nestjs/swagger';
import type { IncidentRow } from './incidents.repository.js';

export const INCIDENT_STATUSES = ['open', 'mitigating', 'resolved'] as const;
/** open → mitigating (a recovery run is active) → resolved; a failed run returns it to open. */
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Where an incident came from: `POST /incidents`, an Alertmanager webhook, or degradation detection. */
export const INCIDENT_SOURCES = ['api', 'alertmanager', 'degradation'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

export class IncidentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() errorType!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: ['low', 'medium', 'high', 'critical'] }) severity!: string;
  @ApiProperty({ type: String, nullable: true }) agentId!: string | null;
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) context!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) matchedPatternId!: string | null;
  @ApiProperty({ enum: INCIDENT_STATUSES }) status!: IncidentStatus;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) acknowledgedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) acknowledgedBy!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) resolvedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'an operator, `run <id>` or `monitoring`' }) resolvedBy!:
    string | null;
  @ApiProperty({ enum: INCIDENT_SOURCES }) source!: IncidentSource;
  @ApiProperty({ type: String, nullable: true, description: "the alert's fingerprint (Alertmanager)" }) fingerprint!:
    string | null;
  @ApiProperty({ description: 'how many times its alert fired while it was unresolved' }) repeatCount!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) lastSeenAt!: string | null;
}

export class IncidentPage {
  @ApiProperty({ type: [IncidentView] }) items!: IncidentView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export const incidentView = (r: IncidentRow): IncidentView => ({
  id: r.id,
  title: r.title,
  errorType: r.error_type,
  message: r.message,
  severity: r.severity,
  agentId: r.agent_id,
  capability: r.capability,
  context: r.context,
  occurredAt: r.occurred_at.toISOString(),
  createdAt: r.created_at.toISOString(),
  matchedPatternId: r.matched_pattern_id,
  status: r.status,
  acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
  acknowledgedBy: r.acknowledged_by,
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  resolvedBy: r.resolved_by,
  source: r.source,
  fingerprint: r.fingerprint,
  repeatCount: r.repeat_count,
  lastSeenAt: r.last_seen_at?.toISOString() ?? null,
});
