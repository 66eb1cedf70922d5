import { ForbiddenException } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PolicyActivated } from '../../events/policy-activated.event.js';
import { PolicyDecisionPoint } from '../evaluate-policies/policy-decision-point.js';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { ActivatePolicy } from './activate-policy.command.js';

/**
 * Activates the policy and publishes PolicyActivated in the same transaction (bridge 4 then
 * turns its temporary adjustments into lasting ones). Activating an active policy changes
 * nothing and publishes nothing.
 */
@CommandHandler(ActivatePolicy)
export class ActivatePolicyHandler implements ICommandHandler<ActivatePolicy> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
    private readonly eventBus: EventBus,
    private readonly pdp: PolicyDecisionPoint,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ tenantId, policyId, actor = 'system', mayChangeGlobal }: ActivatePolicy): Promise<PolicyView | null> {
    let changed = false;
    const view = await this.tx.run(async () => {
      const current = await this.policies.lock(tenantId, policyId, 'update');
      if (!current) return null;
      if (current.scope === 'global' && !mayChangeGlobal)
        throw new ForbiddenException('global policies need a platform admin key');
      if (current.status === 'active') return policyView(current);
      const row = await this.policies.setStatus(tenantId, policyId, 'active');
      await this.audit.record({
        tenantId,
        actor,
        action: 'policy.activated',
        subject: { type: 'policy', id: policyId },
        before: { status: current.status },
        after: { status: row.status },
      });
      this.policies.notifyChanged(tenantId, row.scope === 'global');
      await this.eventBus.publish(new PolicyActivated({ tenantId, policyId, incidentId: null }));
      changed = true;
      return policyView(row);
    });
    if (changed && view) this.pdp.changed(tenantId, view.scope === 'global');
    return view;
  }
}
