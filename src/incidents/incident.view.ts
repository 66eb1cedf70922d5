export const INCIDENT_STATUSES = ['open', 'mitigating', 'resolved'] as const;
/** open → mitigating (a recovery run is active) → resolved; a failed run returns it to open. */
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Where an incident came from: `POST /incidents`, an Alertmanager webhook, or degradation detection. */
export const INCIDENT_SOURCES = ['api', 'alertmanager', 'degradation'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

export interface IncidentRow {
  id: string;
  tenant_id: string;
  title: string;
  error_type: string;
  message: string;
  severity: string;
  agent_id: string | null;
  capability: string | null;
  context: Record<string, unknown>;
  occurred_at: Date;
  created_at: Date;
  matched_pattern_id: string | null;
  status: IncidentStatus;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  source: IncidentSource;
  /** An alert's fingerprint: at most one unresolved incident per fingerprint. */
  fingerprint: string | null;
  /** How many times its alert fired while it was unresolved (1: once). */
  repeat_count: number;
  last_seen_at: Date | null;
}

export interface IncidentView {
  id: string;
  title: string;
  errorType: string;
  message: string;
  severity: string;
  agentId: string | null;
  capability: string | null;
  context: Record<string, unknown>;
  occurredAt: string;
  createdAt: string;
  matchedPatternId: string | null;
  status: IncidentStatus;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  source: IncidentSource;
  fingerprint: string | null;
  repeatCount: number;
  lastSeenAt: string | null;
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
