/**
 * Answers of routes whose OpenAPI operations do not describe a response schema yet: the catalog,
 * work orders, actuators, flags and guardrails. Written from the server's view types; move each to
 * `Schemas[...]` once its controller declares `@ApiOkResponse`.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Pattern {
  id: string;
  errorType: string;
  template: string;
  occurrenceCount: number;
  affectedAgents: string[];
  recoveryTemplate: unknown;
  autoApplyRecovery: boolean;
  lastSeenAt: string;
}

export type WorkOrderStatus = 'queued' | 'claimed' | 'in_progress' | 'completed' | 'failed' | 'canceled';

export interface WorkOrder {
  id: string;
  runId: string | null;
  incidentId: string | null;
  description: string;
  context: {
    incident: { id: string; title: string } | null;
    pattern: { id: string; template: string } | null;
    lastErrors: string[];
  };
  priority: string;
  complexity: string;
  status: WorkOrderStatus;
  claimedBy: string | null;
  claimedAt: string | null;
  claimExpiresAt: string | null;
  result: { testsPassed: boolean; filesChanged: string[]; diffUrl: string | null; summary: string } | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** The role of the key that completed or failed it: `agent`, or a person's who did it by hand. */
  finishedByRole?: string | null;
  /** When its incident was resolved; null while it is open. */
  incidentResolvedAt?: string | null;
  history?: Array<{
    from: WorkOrderStatus | null;
    to: WorkOrderStatus;
    actor: string;
    note: string | null;
    details: Record<string, unknown>;
    at: string;
  }>;
}

export interface PatchStats {
  totalPlaybookRuns: number;
  escalationRate: number | null;
  autoFixRate: number | null;
  averagePatchTimeMinutes: number | null;
  workOrders?: Record<string, number>;
}

export interface Flag {
  name: string;
  enabled: boolean;
  globalEnabled: boolean;
  globalSource: string;
  tenantOverride: boolean | null;
}

export interface Flags {
  items: Flag[];
  history: Array<{
    name: string;
    oldEnabled: boolean;
    newEnabled: boolean;
    tenantId: string | null;
    changedBy: string;
    changedAt: string;
  }>;
}

export interface Actuator {
  name: string;
  url: string;
  timeoutMs: number;
}

export interface Guardrails extends Record<string, unknown> {
  updatedAt?: string | null;
  updatedBy?: string | null;
}
