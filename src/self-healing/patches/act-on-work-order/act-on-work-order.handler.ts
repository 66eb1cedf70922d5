import { ConflictException, Inject, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { WorkOrderJournal } from '../work-order.journal.js';
import { workOrderView, type WorkOrderStatus, type WorkOrderView } from '../work-order.view.js';
import { WorkOrdersRepository, type WorkOrderRow, type ClaimRow } from '../work-orders.repository.js';
import { ActOnWorkOrder, type ClaimantAction } from './act-on-work-order.command.js';

const FINISHED: readonly WorkOrderStatus[] = ['completed', 'failed', 'canceled'];
const HELD: readonly WorkOrderStatus[] = ['claimed', 'in_progress'];
// Claim tokens are 256 random bits: a plain SHA-256 is enough, as for API keys.
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
/** Who finished it, for the run engine: a person completing an order by hand is no coding agent's doing. */
const by = (row: WorkOrderRow) => (row.finished_by_role ? { finishedByRole: row.finished_by_role } : {});

/** A work order locked for an action, with the database's time then. */
type LockedOrder = WorkOrderRow & { locked_at: Date };

/** 409 that also says, in a field, what state the work order is in now. */
const conflict = (message: string, order: WorkOrderRow) =>
  new ConflictException({ statusCode: 409, error: 'Conflict', message, workOrderStatus: order.status });

@CommandHandler(ActOnWorkOrder)
export class ActOnWorkOrderHandler implements ICommandHandler<ActOnWorkOrder> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly orders: WorkOrdersRepository,
    private readonly journal: WorkOrderJournal,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(c: ActOnWorkOrder): Promise<WorkOrderView & { claimToken?: string }> {
    // A lapsed lease is released (and recorded) first, in its own transaction, so it stays released whatever this action does.
    await this.journal.releaseStaleClaims(c.tenantId);
    const outcome = await this.tx.run(async () => {
      // Locked: of two claims at once, the second sees the first's result and gets 409. Its
      // `locked_at` (the database's clock) is the time of this action: a lease set from this
      // host's clock would lapse early, or late, by its drift, for a sweep judging by now().
      const order = await this.orders.lock(c.tenantId, c.workOrderId);
      if (!order) throw new NotFoundException(`work order ${c.workOrderId} not found`);
      const a = c.action;
      if (a.kind === 'claim') return this.claim(order, c);
      if (a.kind === 'cancel') {
        if (FINISHED.includes(order.status)) throw conflict(`work order ${order.id} is already ${order.status}`, order);
        const row = await this.journal.cancel({ order, actor: c.actor, reason: a.reason, at: order.locked_at });
        return workOrderView(row, await this.orders.history(row.id));
      }
      return this.asClaimant(order, c, a);
    });
    // A late report was kept (committed) before it is answered 409.
    if (outcome instanceof ConflictException) throw outcome;
    return outcome;
  }

  private async claim(order: LockedOrder, c: ActOnWorkOrder): Promise<WorkOrderView & { claimToken: string }> {
    if (FINISHED.includes(order.status)) throw conflict(`work order ${order.id} is already ${order.status}`, order);
    if (order.status !== 'queued')
      throw conflict(`work order ${order.id} is already claimed by ${order.claimed_by}`, order);
    const now = order.locked_at;
    const claimToken = `woc_${randomBytes(32).toString('base64url')}`;
    const tokenHash = hashOf(claimToken);
    await this.orders.insertClaim({
      tokenHash,
      tenantId: order.tenant_id,
      workOrderId: order.id,
      keyId: c.keyId,
      claimedBy: c.actor,
      claimedAt: now,
    });
    const row = await this.orders.update(order.id, {
      status: 'claimed',
      claimed_by: c.actor,
      claim_key_id: c.keyId,
      claim_token_hash: tokenHash,
      claimed_at: now,
      claim_expires_at: this.leaseFrom(now),
    });
    const view = await this.done(row, order, 'claimed', c.actor, `work order ${order.id} claimed by ${c.actor}`, null, {
      claimExpiresAt: row.claim_expires_at!.toISOString(),
    });
    return { ...view, claimToken };
  }

  /** Progress, complete, fail: only under the current claim, by its token and its key. */
  private async asClaimant(
    order: LockedOrder,
    c: ActOnWorkOrder,
    a: ClaimantAction,
  ): Promise<WorkOrderView | ConflictException> {
    const tokenHash = a.claimToken ? hashOf(a.claimToken) : null;
    if (tokenHash === null || tokenHash !== order.claim_token_hash || order.claim_key_id !== c.keyId) {
      const earlier = tokenHash === null ? null : await this.orders.findClaim(order.id, tokenHash);
      if (earlier && earlier.key_id === c.keyId && tokenHash !== order.claim_token_hash)
        return this.lateReport(order, earlier, c, a);
      if (FINISHED.includes(order.status)) throw conflict(`work order ${order.id} is already ${order.status}`, order);
      if (!HELD.includes(order.status)) throw conflict(`work order ${order.id} is not claimed: claim it first`, order);
      throw conflict(
        `work order ${order.id} is claimed by ${order.claimed_by}: ${a.kind} needs the claimToken that claim returned`,
        order,
      );
    }
    // The claim is this claimant's, but its lease may have lapsed since the release before this
    // action (while this report waited for the order's lock, one the release had skipped): judged
    // by the database's clock once the lock is held, it goes back to the queue as the release would
    // have put it, and the report is answered as one under a lost claim is.
    if (order.claim_expires_at !== null && order.claim_expires_at <= order.locked_at) {
      const claim = await this.orders.findClaim(order.id, tokenHash);
      return this.lateReport(await this.journal.release(order), claim!, c, a);
    }
    if (a.kind === 'progress') {
      // Progress renews the lease: an agent that keeps reporting keeps its claim.
      const row = await this.orders.update(order.id, {
        status: 'in_progress',
        claim_expires_at: this.leaseFrom(order.locked_at),
      });
      const pct = a.percent === null ? '' : ` (${a.percent} %)`;
      return this.done(
        row,
        order,
        'progress',
        c.actor,
        `work order ${order.id} in progress${pct}: ${a.note}`,
        a.note,
        a.percent === null ? {} : { percent: a.percent },
      );
    }
    // Its incident may have been resolved while it was being worked on (read now, not from
    // incident_resolved_at alone, which the resolution's handler sets a moment after it commits):
    // then the run cannot verify the patch against the fault, and is told so (ADR 0009).
    const resolution = await this.journal.incidentResolution(order);
    // Who finished it is kept: a person completing an order by hand is no coding agent's doing.
    const finished = {
      claim_key_id: null,
      claim_token_hash: null,
      claim_expires_at: null,
      finished_at: order.locked_at,
      finished_by_role: c.role,
      ...(resolution && order.incident_resolved_at === null ? { incident_resolved_at: new Date(resolution.at) } : {}),
    };
    const after = resolution ? ` (its incident was resolved by ${resolution.by} at ${resolution.at}, before)` : '';
    const resolvedDetails = resolution ? { incidentResolvedAt: resolution.at } : {};
    if (a.kind === 'complete') {
      const row = await this.orders.update(order.id, { ...finished, status: 'completed', result: a.result });
      await this.journal.finished(
        row,
        { testsPassed: a.result.testsPassed, outcome: 'completed', ...by(row) },
        resolution,
      );
      const tests = a.result.testsPassed ? 'tests passed' : 'tests failed';
      return this.done(
        row,
        order,
        'completed',
        c.actor,
        `work order ${order.id} completed by ${c.actor} (${tests})${after}: ${a.result.summary}`,
        a.result.summary,
        {
          testsPassed: a.result.testsPassed,
          filesChanged: a.result.filesChanged,
          diffUrl: a.result.diffUrl,
          ...resolvedDetails,
        },
      );
    }
    const row = await this.orders.update(order.id, { ...finished, status: 'failed', failure_reason: a.reason });
    await this.journal.finished(row, { testsPassed: false, outcome: 'failed', ...by(row) }, resolution);
    return this.done(
      row,
      order,
      'failed',
      c.actor,
      `work order ${order.id} failed (${c.actor})${after}: ${a.reason}`,
      a.reason,
      resolvedDetails,
    );
  }

  /**
   * A report under a claim that is no longer current (it lapsed, or the order moved on): the
   * order does not change, the report is kept in its history (and timeline), and the claimant is
   * answered 409 with the order's state now.
   */
  private async lateReport(
    order: WorkOrderRow,
    claim: ClaimRow,
    c: ActOnWorkOrder,
    a: ClaimantAction,
  ): Promise<ConflictException> {
    const now =
      order.status === 'claimed' || order.status === 'in_progress'
        ? `${order.status} by ${order.claimed_by}`
        : order.status;
    const report =
      a.kind === 'progress'
        ? { note: a.note, percent: a.percent }
        : a.kind === 'complete'
          ? { ...a.result }
          : { reason: a.reason };
    const text = a.kind === 'progress' ? a.note : a.kind === 'complete' ? a.result.summary : a.reason;
    await this.journal.record({
      row: order,
      from: order.status,
      change: 'late_report',
      actor: c.actor,
      summary: `work order ${order.id}: a late ${a.kind} under the claim of ${claim.claimed_at.toISOString()}, which is no longer current (the order is ${now}): ${text}`,
      note: text,
      details: { lateReport: a.kind, claimedAt: claim.claimed_at.toISOString(), ...report },
    });
    return conflict(
      `the claim of work order ${order.id} made at ${claim.claimed_at.toISOString()} is no longer current: the work order is ${now}. Your ${a.kind} is kept in its history`,
      order,
    );
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.config.workOrderClaimMs);
  }

  private async done(
    row: WorkOrderRow,
    before: WorkOrderRow,
    change: string,
    actor: string,
    summary: string,
    note: string | null,
    details: Record<string, unknown> = {},
  ): Promise<WorkOrderView> {
    await this.journal.record({ row, from: before.status, change, actor, summary, note, details });
    return workOrderView(row, await this.orders.history(row.id));
  }
}
