import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandBus, CommandHandler, EventBus, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { LockIncident } from '../../../incidents/lifecycle/lock-incident/lock-incident.command.js';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { RecoveryApplied } from '../../events/recovery-applied.event.js';
import { RecoveryRejected } from '../../events/recovery-rejected.event.js';
import { StartRecoveryRun } from '../../runs/start-recovery-run/start-recovery-run.command.js';
import { approvalRefusal } from '../approval-refusal.js';
import { RecoveryRepository } from '../recovery.repository.js';
import { ReviewRecovery } from './review-recovery.command.js';

@CommandHandler(ReviewRecovery)
export class ReviewRecoveryHandler implements ICommandHandler<ReviewRecovery> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly recoveries: RecoveryRepository,
    private readonly eventBus: EventBus,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly audit: AuditTrail,
  ) {}

  execute(c: ReviewRecovery) {
    return this.tx.run(async () => {
      // Locked, so two reviewers deciding at once cannot both win. The lock also orders the
      // approval with a merge of its pattern, which moves this row and then the runs: either
      // source_pattern_id is the survivor's, or the merge waits and moves the run started here.
      // No key-share lock on the pattern as the bridges take: after this one it deadlocks with a
      // merge that holds the pattern and waits for this row (ADR 0012).
      const recovery = await this.recoveries.lock(c.tenantId, c.recoveryId);
      if (!recovery) throw new NotFoundException(`recovery ${c.recoveryId} not found`);
      // Refused as a dry run says it would be (approvalRefusal). Its expiresAt by the database's
      // clock, as the sweep judges it: a replica whose clock is behind would approve it yet. First
      // without the incident, so a decided or expired recovery is refused before that is locked.
      let refusal = approvalRefusal(recovery, recovery.locked_at, null);
      // Its incident resolved before anyone reviewed it (the supersede may not have run yet): asked
      // by an approval only, as rejecting such a recovery is allowed. Locked before it is read (the
      // run below locks it anyway: recovery, then incident), so a resolve under way commits first
      // and is seen here, and one that comes later waits for the run.
      if (refusal === null && c.decision === 'applied') {
        const ref = { tenantId: c.tenantId, incidentId: recovery.source_incident_id };
        await this.commands.execute(new LockIncident(ref));
        const incident = await this.queries.execute(new GetIncident(ref));
        refusal = approvalRefusal(recovery, recovery.locked_at, incident);
      }
      if (refusal !== null) throw new ConflictException(refusal);
      const decided = await this.recoveries.decide(recovery.id, c.decision, c.actor);
      await this.recoveries.recordAction({
        id: uuidv7(),
        tenantId: c.tenantId,
        recoveryId: recovery.id,
        action: c.decision,
        automatic: false,
        actor: c.actor,
        note: c.note,
      });
      const action = c.decision === 'applied' ? 'recovery.approved' : 'recovery.rejected';
      const audited = {
        tenantId: c.tenantId,
        actor: c.actor,
        action,
        subject: { type: 'recovery', id: recovery.id },
        before: { status: recovery.status },
        reason: c.note,
      };
      if (c.decision === 'rejected') {
        await this.audit.record({ ...audited, after: { status: decided.status } });
        // No handler takes it: it tells the tenant's live inbox count that a review left.
        await this.eventBus.publish(
          new RecoveryRejected({
            tenantId: c.tenantId,
            incidentId: recovery.source_incident_id,
            patternId: recovery.source_pattern_id,
            recoveryId: recovery.id,
            rejectedBy: c.actor,
          }),
        );
        return { recovery: decided, run: null };
      }
      await this.eventBus.publish(
        new RecoveryApplied({
          tenantId: c.tenantId,
          incidentId: recovery.source_incident_id,
          patternId: recovery.source_pattern_id,
          recoveryId: recovery.id,
          appliedBy: c.actor,
        }),
      );
      const run = await this.commands.execute(
        new StartRecoveryRun({
          tenantId: c.tenantId,
          recoveryId: recovery.id,
          incidentId: recovery.source_incident_id,
          patternId: recovery.source_pattern_id,
          playbookId: recovery.playbook_id,
          params: recovery.params,
          automatic: false,
          startedBy: c.actor,
        }),
      );
      await this.audit.record({ ...audited, after: { status: decided.status, runId: run.id } });
      return { recovery: decided, run };
    });
  }
}
