import { ForbiddenException } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PolicyDisabled } from '../../events/policy-disabled.event.js';
import { RoutingRepository } from '../../routing/routing.repository.js';
import { PolicyDecisionPoint } from '../evaluate-policies/policy-decision-point.js';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { DisablePolicy } from './disable-policy.command.js';

/**
 * Disables the policy, deactivates its routing adjustments and publishes PolicyDisabled, all in
 * one transaction. The policy row is locked first, as ApplyRoutingAdjustments does, so an
 * application running concurrently either finishes before (and is deactivated here) or sees
 * the disabled status.
 */
@CommandHandler(DisablePolicy)
export class DisablePolicyHandler implements ICommandHandler<DisablePolicy> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
    private readonly routing: RoutingRepository,
    private readonly eventBus: EventBus,
    private readonly pdp: PolicyDecisionPoint,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ tenantId, policyId, actor = 'system', mayChangeGlobal }: DisablePolicy): Promise<PolicyView | null> {
    let changed = false;
    const view = await this.tx.run(async () => {
      const current = await this.policies.lock(tenantId, policyId, 'update');
      if (!current) return null;
      if (current.scope === 'global' && !mayChangeGlobal)
        throw new ForbiddenException('global policies need a platform admin key');
      const deactivated = await this.routing.deactivateForPolicy(tenantId, policyId);
      if (current.status === 'disabled') return policyView(current);
      const row = await this.policies.setStatus(tenantId, policyId, 'disabled');
      await this.audit.record({
        tenantId,
        actor,
        action: 'policy.disabled',
        subject: { type: 'policy', id: policyId },
        before: { status: current.status },
        after: { status: row.status, routingAdjustmentsDeactivated: deactivated },
      });
      this.policies.notifyChanged(tenantId, row.scope === 'global');
      await this.eventBus.publish(new PolicyDisabled({ tenantId, policyId, incidentId: null }));
      changed = true;
      return policyView(row);
    });
    if (changed && view) this.pdp.changed(tenantId, view.scope === 'global');
    return view;
  }
}
