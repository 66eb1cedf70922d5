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
});
