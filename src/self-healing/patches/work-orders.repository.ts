import { Injectable } from '@nestjs/common';
import type { Role } from '../../platform/auth/principal.js';
import { withLockTime } from '../../platform/database/lock-time.js';
import { newestFirst } from '../../platform/database/newest-first.js';
import { setColumns } from '../../platform/database/set-columns.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import type {
  WorkOrderComplexity,
  WorkOrderContext,
  WorkOrderPriority,
  WorkOrderResult,
  WorkOrderStatus,
} from './work-order.view.js';

export interface TransitionRow {
  from_status: WorkOrderStatus | null;
  to_status: WorkOrderStatus;
  actor: string;
  note: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

/** One claim of a work order: who, when, and the hash of the token it was given. */
export interface ClaimRow {
  token_hash: string;
  work_order_id: string;
  key_id: string;
  claimed_by: string;
  claimed_at: Date;
}

export interface WorkOrderRow {
  id: string;
  tenant_id: string;
  run_id: string | null;
  step_id: string | null;
  incident_id: string | null;
  description: string;
  context: WorkOrderContext;
  priority: WorkOrderPriority;
  complexity: WorkOrderComplexity;
  status: WorkOrderStatus;
  claimed_by: string | null;
  claim_key_id: string | null;
  /** SHA-256 of the current claim's token (work_order_claims keeps every claim's). */
  claim_token_hash: string | null;
  claimed_at: Date | null;
  claim_expires_at: Date | null;
  result: WorkOrderResult | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  /**
   * When its incident was resolved (raised on one resolved already: when it was raised); null while
   * the incident is open, or without one. A failed order no longer waits once it is set.
   */
  incident_resolved_at: Date | null;
  /**
   * The role of the key that completed or failed it: `agent` for a coding agent, another for a
   * person who did the patch by hand. Null otherwise, or not known.
   */
  finished_by_role: Role | null;
}

export interface NewWorkOrder {
  tenantId: string;
  runId: string | null;
  stepId: string | null;
  incidentId: string | null;
  description: string;
  context: WorkOrderContext;
  priority: string;
  complexity: string;
}

/** A work order its incident's resolution reached: its status then, and whether it is a rollback step's. */
export interface SettledOrder {
  id: string;
  status: WorkOrderStatus;
  for_rollback: boolean;
}

/**
 * Whether the work order (`work_orders` in the statement) waits in a step of its run's rollback
 * list: those undo what the run did. The others (an escalate step's, a canary's handed over, one
 * raised outside a run) are there to fix the incident.
 */
const FOR_ROLLBACK = `EXISTS (SELECT 1 FROM recovery_run_steps s
                               WHERE s.run_id = work_orders.run_id AND s.step_id = work_orders.step_id AND s.list = 'rollback')`;

export interface StatusCount {
  status: WorkOrderStatus;
  count: number;
}

@Injectable()
export class WorkOrdersRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** `incidentResolved`: its incident is resolved already (it is raised settled). */
  async insert(w: NewWorkOrder, incidentResolved = false): Promise<WorkOrderRow> {
    const [row] = await this.tx.query<WorkOrderRow>(
      `INSERT INTO work_orders (id, tenant_id, run_id, step_id, incident_id, description, context, priority, complexity, status, incident_resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, 'queued', CASE WHEN $10::boolean THEN now() END) RETURNING *`,
      [
        uuidv7(),
        w.tenantId,
        w.runId,
        w.stepId,
        w.incidentId,
        w.description,
        JSON.stringify(w.context),
        w.priority,
        w.complexity,
        incidentResolved,
      ],
    );
    return row;
  }

  /**
   * Records that the incident was resolved on each of its work orders (whatever their status: one
   * still being worked on that fails later no longer waits either). Answers them, locked, with
   * their status and whether each is a rollback step's (the resolution withdraws the others that
   * nobody holds).
   */
  async markIncidentResolved(tenantId: string, incidentId: string, resolvedAt: Date): Promise<SettledOrder[]> {
    return this.tx.query<SettledOrder>(
      `UPDATE work_orders SET incident_resolved_at = $3
        WHERE tenant_id = $1 AND incident_id = $2 AND incident_resolved_at IS NULL
        RETURNING id, status, ${FOR_ROLLBACK} AS for_rollback`,
      [tenantId, incidentId, resolvedAt],
    );
  }

  /** Whether the order is a rollback step's: it undoes its run's own change, which no resolution makes unneeded. */
  async isForRollback(order: Pick<WorkOrderRow, 'id'>): Promise<boolean> {
    const [row] = await this.tx.query<{ for_rollback: boolean }>(
      `SELECT ${FOR_ROLLBACK} AS for_rollback FROM work_orders WHERE id = $1`,
      [order.id],
    );
    return row?.for_rollback ?? false;
  }

  async find(tenantId: string, id: string): Promise<WorkOrderRow | null> {
    const [row] = await this.tx.query<WorkOrderRow>(`SELECT * FROM work_orders WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row ?? null;
  }

  /**
   * Locks the order for a change, with the database's time read once the lock is held
   * (`locked_at`): the time a claim's lease runs from, is judged lapsed by, and a finish is stamped
   * with, so that they are compared with `now()` (lapsed claims, the inbox) on the same clock,
   * whatever this host's says (withLockTime).
   */
  async lock(tenantId: string, id: string): Promise<(WorkOrderRow & { locked_at: Date }) | null> {
    const [row] = await this.tx.query<WorkOrderRow & { locked_at: Date }>(
      withLockTime(`SELECT * FROM work_orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE`),
      [tenantId, id],
    );
    return row ?? null;
  }

  /** Sets the given columns (and updated_at) and returns the new row. */
  async update(id: string, set: Partial<Record<keyof WorkOrderRow, unknown>>): Promise<WorkOrderRow> {
    const a = setColumns(set, 2);
    const [row] = await this.tx.query<WorkOrderRow>(`UPDATE work_orders SET ${a.sql} WHERE id = $1 RETURNING *`, [
      id,
      ...a.params,
    ]);
    return row;
  }

  async insertClaim(c: {
    tokenHash: string;
    tenantId: string;
    workOrderId: string;
    keyId: string;
    claimedBy: string;
    claimedAt: Date;
  }): Promise<void> {
    await this.tx.query(
      `INSERT INTO work_order_claims (token_hash, tenant_id, work_order_id, key_id, claimed_by, claimed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [c.tokenHash, c.tenantId, c.workOrderId, c.keyId, c.claimedBy, c.claimedAt],
    );
  }

  /** A claim of this order (current or earlier) by its token's hash. */
  async findClaim(workOrderId: string, tokenHash: string): Promise<ClaimRow | null> {
    const [row] = await this.tx.query<ClaimRow>(
      `SELECT * FROM work_order_claims WHERE work_order_id = $1 AND token_hash = $2`,
      [workOrderId, tokenHash],
    );
    return row ?? null;
  }

  async recordTransition(t: {
    tenantId: string;
    workOrderId: string;
    from: WorkOrderStatus | null;
    to: WorkOrderStatus;
    actor: string;
    note?: string | null;
    details?: Record<string, unknown>;
  }): Promise<void> {
    await this.tx.query(
      `INSERT INTO work_order_transitions (id, tenant_id, work_order_id, from_status, to_status, actor, note, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [uuidv7(), t.tenantId, t.workOrderId, t.from, t.to, t.actor, t.note ?? null, JSON.stringify(t.details ?? {})],
    );
  }

  async history(workOrderId: string): Promise<TransitionRow[]> {
    return this.tx.query<TransitionRow>(
      `SELECT from_status, to_status, actor, note, details, created_at FROM work_order_transitions WHERE work_order_id = $1 ORDER BY created_at, id`,
      [workOrderId],
    );
  }

  /** Tenants with a claim past its lease, for the sweeper. */
  async tenantsWithLapsedClaims(): Promise<string[]> {
    const rows = await this.tx.query<{ tenant_id: string }>(
      `SELECT DISTINCT tenant_id FROM work_orders WHERE claim_expires_at IS NOT NULL AND claim_expires_at <= now()`,
    );
    return rows.map((r) => r.tenant_id);
  }

  /**
   * The tenant's claims whose lease ran out by the database's clock (the one leases are set
   * from), to go back to the queue: locked, skipping orders another request is changing right
   * now (that request decides them).
   */
  async takeStaleClaims(tenantId: string): Promise<WorkOrderRow[]> {
    return this.tx.query<WorkOrderRow>(
      `SELECT * FROM work_orders WHERE tenant_id = $1 AND claim_expires_at IS NOT NULL AND claim_expires_at <= now()
        ORDER BY id FOR UPDATE SKIP LOCKED`,
      [tenantId],
    );
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(
    tenantId: string,
    filters: { status?: string; runId?: string },
    cursor: Cursor | null,
    limit: number,
  ): Promise<WorkOrderRow[]> {
    const q = newestFirst({
      table: 'work_orders',
      tenantId,
      conditions: [
        ['status = ?', filters.status],
        ['run_id = ?', filters.runId],
      ],
      cursor,
      limit,
    });
    return this.tx.query<WorkOrderRow>(q.sql, q.params);
  }

  /** Counts by state, and the mean time from creation to completion of completed orders. */
  async stats(
    tenantId: string,
  ): Promise<{ byStatus: StatusCount[]; averageCompletedMinutes: number | null; escalatedRuns: number }> {
    const byStatus = await this.tx.query<StatusCount>(
      `SELECT status, count(*)::int AS count FROM work_orders WHERE tenant_id = $1 GROUP BY status`,
      [tenantId],
    );
    const [avg] = await this.tx.query<{ minutes: number | null; runs: number }>(
      `SELECT (avg(extract(epoch FROM finished_at - created_at)) FILTER (WHERE status = 'completed') / 60)::double precision AS minutes,
              count(DISTINCT run_id)::int AS runs
         FROM work_orders WHERE tenant_id = $1`,
      [tenantId],
    );
    return { byStatus, averageCompletedMinutes: avg.minutes, escalatedRuns: avg.runs };
  }
}
