/**
 * Answers of routes whose OpenAPI operations do not describe a response schema yet (older
 * modules: catalog, policies, routing, work orders, flags, admin). Written from the server's view
 * types; move each to `Schemas[...]` once its controller declares `@ApiOkResponse`.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface IntegrationStats {
  totalIncidents: number;
  patternsMatched: number;
  patternsCreated: number;
  recoveriesSuggested: number;
  recoveriesApplied: number;
  policiesGenerated: number;
  routingAdjustments: number;
  loopCompletionRate: number;
  p50LoopCompletionTimeMs: number;
  p95LoopCompletionTimeMs: number;
  mttrMs: { avg: number; p50: number; fastest: number; slowest: number } | null;
  resolveRate: number;
  autoApplySuccessRate: number | null;
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

export interface Policy {
  id: string;
  name: string;
  description: string;
  category: string;
  action: string;
  scope: string;
  scopeAgentId: string | null;
  condition: string;
  status: 'draft' | 'active' | 'disabled';
  sourceType: string;
  sourcePatternId: string | null;
  generationConfidence: number | null;
  updatedAt: string;
}

export interface Agent {
  agentId: string;
  baseConfidence: number;
  effectiveConfidence: number;
  effectiveConfidenceByCapability?: Record<string, number>;
  activeAdjustments: number;
}

export interface AgentDetail extends Agent {
  trustHistory?: Array<{ at: string; capability: string | null; reason: string }>;
}

export interface Adjustment {
  id: string;
  agentId: string;
  capability: string | null;
  adjustmentType: string;
  magnitude: number;
  isActive: boolean;
  expiresAt: string | null;
  reason: string;
}

export type WorkOrderStatus = 'queued' | 'claimed' | 'in_progress' | 'completed' | 'failed' | 'canceled';

export interface WorkOrder {
  id: string;
  runId: string | null;
  incidentId: string | null;
  description: string;
  context: { incident: { id: string; title: string } | null; pattern: { id: string; template: string } | null; lastErrors: string[] };
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
  history?: Array<{ from: WorkOrderStatus | null; to: WorkOrderStatus; actor: string; note: string | null; details: Record<string, unknown>; at: string }>;
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
  history: Array<{ name: string; oldEnabled: boolean; newEnabled: boolean; tenantId: string | null; changedBy: string; changedAt: string }>;
}

export interface KillSwitchState {
  tenant: { active: boolean; reason: string; changedBy: string; changedAt: string } | null;
  agents: Array<{ agentId: string; active: boolean }>;
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
