import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { describeChange, nextTrust } from '../trust-formula.js';
import { TrustRepository } from '../trust.repository.js';
import { trustChangeView, type TrustChangeView } from '../trust.view.js';
import { RecordRunOutcomeForTrust } from './record-run-outcome-for-trust.command.js';

@CommandHandler(RecordRunOutcomeForTrust)
export class RecordRunOutcomeForTrustHandler implements ICommandHandler<RecordRunOutcomeForTrust> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly trust: TrustRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute(p: RecordRunOutcomeForTrust): Promise<TrustChangeView | null> {
    return this.tx.run(async () => {
      // The agent row is locked: two runs of one agent finishing at once apply one after the other.
      const previous = await this.trust.lockCurrent(p.tenantId, p.agentId, p.capability);
      if (previous === null) return null;
      const next = nextTrust(previous, p.outcome);
      if (next === null) return null;
      const reason = describeChange(previous, next, p.runId, p.outcome) + (p.reason ? `: ${p.reason}` : '');
      const change = await this.trust.recordChange({ ...p, previous, next, reason });
      if (!change) return null; // this run was counted already
      const view = trustChangeView(change);
      await this.audit.record({
        tenantId: p.tenantId,
        actor: 'system',
        action: 'trust.changed',
        subject: { type: 'agent', id: p.agentId },
        before: { capability: view.capability, trust: previous },
        after: { capability: view.capability, trust: next, evidence: { runId: p.runId, outcome: p.outcome } },
        reason,
      });
      return view;
    });
  }
}
