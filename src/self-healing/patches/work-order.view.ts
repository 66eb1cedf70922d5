import type { TransitionRow, WorkOrderRow } from './work-orders.repository.js';

export const WORK_ORDER_STATUSES = ['queued', 'claimed', 'in_progress', 'completed', 'failed', 'canceled'] as const;
export type WorkOrderStatus = (typeof WORK_ORDER_STATUSES)[number];
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type WorkOrderPriority = (typeof PRIORITIES)[number];
export const COMPLEXITIES = ['small', 'medium', 'large'] as const;
export type WorkOrderComplexity = (typeof COMPLEXITIES)[number];

/** What a coding agent gets to work from. */
export interface WorkOrderContext {
  incident: { id: string; title: string; errorType: string; severity: string; message: string } | null;
  pattern: { id: string; template: string; samples: string[] } | null;
  affectedAgents: string[];
  capabilities: string[];
  /** The run's last errors, newest last. */
  lastErrors: string[];
  runId: string | null;
  filePath?: string | null;
}

export interface WorkOrderResult {
  testsPassed: boolean;
  filesChanged: string[];
  diffUrl: string | null;
  summary: string;
}

export interface WorkOrderView {
  id: string;
  runId: string | null;
  stepId: string | null;
  incidentId: string | null;
  description: string;
  context: WorkOrderContext;
  priority: WorkOrderPriority;
  complexity: WorkOrderComplexity;
  status: WorkOrderStatus;
  claimedBy: string | null;
  claimedAt: string | null;
  claimExpiresAt: string | null;
  result: WorkOrderResult | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** The role of the key that completed or failed it: `agent`, or a person's (operator, admin) who did it by hand. */
  finishedByRole: string | null;
  /**
   * When its incident was resolved (by monitoring, an operator or a run); null while it is open, or
   * without one. Set, nothing is left to patch: an order nobody held was canceled, and a claimed one
   * may still be finished, but its run does not count the patch as a verified fix (ADR 0009).
   */
  incidentResolvedAt: string | null;
  /** Every state change (and progress report), oldest first; only on the detail. */
  history?: Array<{
    from: WorkOrderStatus | null;
    to: WorkOrderStatus;
    actor: string;
    note: string | null;
    details: Record<string, unknown>;
    at: string;
  }>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function workOrderView(r: WorkOrderRow, history?: TransitionRow[]): WorkOrderView {
  return {
    id: r.id,
    runId: r.run_id,
    stepId: r.step_id,
    incidentId: r.incident_id,
    description: r.description,
    context: r.context,
    priority: r.priority,
    complexity: r.complexity,
    status: r.status,
    claimedBy: r.claimed_by,
    claimedAt: iso(r.claimed_at),
    claimExpiresAt: iso(r.claim_expires_at),
    result: r.result,
    failureReason: r.failure_reason,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    finishedAt: iso(r.finished_at),
    finishedByRole: r.finished_by_role ?? null,
    incidentResolvedAt: iso(r.incident_resolved_at ?? null),
    ...(history
      ? {
          history: history.map((h) => ({
            from: h.from_status,
            to: h.to_status,
            actor: h.actor,
            note: h.note,
            details: h.details,
            at: h.created_at.toISOString(),
          })),
        }
      : {}),
  };
}

/** An incident's severity is the work order's priority (both are low … critical). */
export function priorityFromSeverity(severity: string | null | undefined): WorkOrderPriority {
  return (PRIORITIES as readonly string[]).includes(severity ?? '') ? (severity as WorkOrderPriority) : 'medium';
}

/**
 * A rough size for the change: the more agents and capabilities the failure spans, the wider
 * the fix; a named file narrows it.
 */
export function estimateComplexity(
  context: Pick<WorkOrderContext, 'affectedAgents' | 'capabilities' | 'filePath'>,
): WorkOrderComplexity {
  const spread = new Set(context.affectedAgents).size + new Set(context.capabilities).size;
  if (spread <= 2 || (context.filePath && spread <= 4)) return 'small';
  if (spread <= 5) return 'medium';
  return 'large';
}
