import { Injectable } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { GetIncident } from '../../incidents/get-incident/get-incident.query.js';
import { RecordDecision } from '../../incidents/record-decision/record-decision.command.js';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { WorkOrderChanged } from '../events/work-order-changed.event.js';
import { WorkOrderFinished, type WorkOrderFinishedProps } from '../events/work-order-finished.event.js';
import type { WorkOrderStatus } from './work-order.view.js';
import { WorkOrdersRepository, type WorkOrderRow } from './work-orders.repository.js';

export const CLAIM_EXPIRED_ACTOR = 'lease';
/** Changes of a work order that are decisions (progress notes and late reports are not): each is an audit entry. */
const AUDITED_CHANGES = new Set(['created', 'claimed', 'completed', 'failed', 'canceled', 'claim_expired']);

/** Who resolved a work order's incident, and when (ISO). */
export interface IncidentResolution {
  by: string;
  at: string;
}

/**
 * Every change of a work order is told three ways, in the changing transaction: a row of its
 * history, an entry on its incident's timeline (so the evidence export has it), and a
 * WorkOrderChanged event (live consoles).
 */
@Injectable()
export class WorkOrderJournal {
  constructor(
    private readonly tx: TransactionHost,
    private readonly orders: WorkOrdersRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
  ) {}

  async record(o: {
    row: WorkOrderRow;
    from: WorkOrderStatus | null;
    change: string;
    actor: string;
    summary: string;
    note?: string | null;
    details?: Record<string, unknown>;
  }): Promise<void> {
    const { row } = o;
    await this.orders.recordTransition({
      tenantId: row.tenant_id,
      workOrderId: row.id,
      from: o.from,
      to: row.status,
      actor: o.actor,
      note: o.note,
      details: o.details,
    });
    if (row.incident_id) {
      await this.commands.execute(
        new RecordDecision({
          tenantId: row.tenant_id,
          incidentId: row.incident_id,
          kind: 'patch',
          summary: o.summary,
          details: {
            workOrderId: row.id,
            runId: row.run_id,
            change: o.change,
            status: row.status,
            actor: o.actor,
            ...(o.details ?? {}),
          },
        }),
      );
    }
    if (AUDITED_CHANGES.has(o.change)) {
      await this.audit.record({
        tenantId: row.tenant_id,
        actor: o.actor,
        action: `work_order.${o.change}`,
        subject: { type: 'work_order', id: row.id },
        before: o.from && { status: o.from },
        after: { status: row.status, runId: row.run_id, claimedBy: row.claimed_by, ...(o.details ?? {}) },
        reason: o.summary,
      });
    }
    await this.events.publish(
      new WorkOrderChanged({
        tenantId: row.tenant_id,
        workOrderId: row.id,
        incidentId: row.incident_id,
        runId: row.run_id,
        change: o.change,
        status: row.status,
        actor: o.actor,
        summary: o.summary,
        at: row.updated_at.toISOString(),
      }),
    );
  }

  /**
   * Claims are leases: one whose time ran out without progress goes back to `queued`, saying
   * so in its history. Run by the lease sweeper on every replica, and before any action on the
   * tenant's work orders, so no action is taken on a claim past its lease.
   */
  releaseStaleClaims(tenantId: string): Promise<void> {
    return this.tx.run(async () => {
      for (const stale of await this.orders.takeStaleClaims(tenantId)) await this.release(stale);
    });
  }

  /**
   * Cancels an open order, locked (by an operator, the run withdrawing it, or its incident's
   * resolution): its claim ends, the run engine is told (WorkOrderFinished) and the change is
   * recorded. `at`: the database's time of the change (default: the transaction's).
   */
  async cancel(o: {
    order: Pick<WorkOrderRow, 'id' | 'status'>;
    actor: string;
    reason: string;
    at?: Date;
    resolution?: IncidentResolution;
  }): Promise<WorkOrderRow> {
    const row = await this.orders.update(o.order.id, {
      status: 'canceled',
      claim_key_id: null,
      claim_token_hash: null,
      claim_expires_at: null,
      failure_reason: o.reason,
      finished_at: o.at ?? (await this.tx.now()),
    });
    await this.finished(row, { testsPassed: false, outcome: 'canceled', canceledBy: o.actor }, o.resolution);
    await this.record({
      row,
      from: o.order.status,
      change: 'canceled',
      actor: o.actor,
      summary: `work order ${row.id} canceled by ${o.actor}: ${o.reason}`,
      note: o.reason,
      ...(o.resolution ? { details: { incidentResolvedAt: o.resolution.at } } : {}),
    });
    return row;
  }

  /**
   * Tells the run engine the order finished (WorkOrderFinished): completed or failed by its claimant,
   * or canceled; with the resolution of its incident when that came first.
   */
  finished(
    row: WorkOrderRow,
    how: Pick<WorkOrderFinishedProps, 'testsPassed' | 'outcome' | 'canceledBy' | 'finishedByRole'>,
    resolution?: IncidentResolution | null,
  ): Promise<void> {
    return this.events.publish(
      new WorkOrderFinished({
        tenantId: row.tenant_id,
        workOrderId: row.id,
        incidentId: row.incident_id,
        runId: row.run_id,
        stepId: row.step_id,
        ...how,
        ...(resolution ? { incidentResolvedBy: resolution.by, incidentResolvedAt: resolution.at } : {}),
      }),
    );
  }

  /**
   * An order nobody holds whose incident is resolved has nothing left to fix: it is canceled, by
   * whoever resolved the incident (monitoring, an operator, a run), so no coding agent claims it
   * (DESIGN §9, ADR 0009). Not a rollback step's: that one undoes its run's own change, which the
   * resolution does not make unneeded (`forRollback`, looked up when not given). The order is
   * locked by the caller. Answers it canceled, or null when it is not withdrawn.
   */
  async withdrawForResolution(
    order: Pick<WorkOrderRow, 'id' | 'status'>,
    resolution: IncidentResolution,
    forRollback?: boolean,
  ): Promise<WorkOrderRow | null> {
    if (order.status !== 'queued' || (forRollback ?? (await this.orders.isForRollback(order)))) return null;
    return this.cancel({
      order,
      actor: resolution.by,
      reason: `its incident was resolved by ${resolution.by} at ${resolution.at}: nothing is left to patch`,
      resolution,
    });
  }

  /** Whether, by whom and when the order's incident was resolved (null: it is not, or it has none). */
  async incidentResolution(order: Pick<WorkOrderRow, 'tenant_id' | 'incident_id'>): Promise<IncidentResolution | null> {
    if (order.incident_id === null) return null;
    const incident = await this.queries.execute(
      new GetIncident({ tenantId: order.tenant_id, incidentId: order.incident_id }),
    );
    return incident?.status === 'resolved' && incident.resolvedAt && incident.resolvedBy
      ? { by: incident.resolvedBy, at: incident.resolvedAt }
      : null;
  }

  /**
   * Returns an order, locked, whose claim's lease ran out to the queue, saying so in its history;
   * one whose incident was resolved meanwhile is then withdrawn (withdrawForResolution) rather than
   * left for another coding agent to claim.
   */
  async release(stale: WorkOrderRow): Promise<WorkOrderRow> {
    const row = await this.orders.update(stale.id, {
      status: 'queued',
      claimed_by: null,
      claim_key_id: null,
      claim_token_hash: null,
      claimed_at: null,
      claim_expires_at: null,
    });
    await this.record({
      row,
      from: stale.status,
      change: 'claim_expired',
      actor: CLAIM_EXPIRED_ACTOR,
      summary: `work order ${row.id}: the claim by ${stale.claimed_by} expired (no progress by ${stale.claim_expires_at!.toISOString()}); back in the queue`,
      details: { previousClaimant: stale.claimed_by, expiredAt: stale.claim_expires_at!.toISOString() },
    });
    if (row.incident_resolved_at === null) return row;
    const resolution = await this.incidentResolution(row);
    return (resolution && (await this.withdrawForResolution(row, resolution))) ?? row;
  }
}
