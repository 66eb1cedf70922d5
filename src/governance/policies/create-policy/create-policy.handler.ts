import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { invalidFields } from '../../../platform/http/validation.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { validateCondition } from '../cel.js';
import { PolicyDecisionPoint } from '../evaluate-policies/policy-decision-point.js';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { CreatePolicy } from './create-policy.command.js';

@CommandHandler(CreatePolicy)
export class CreatePolicyHandler implements ICommandHandler<CreatePolicy> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
    private readonly pdp: PolicyDecisionPoint,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ tenantId, input, actor = 'system' }: CreatePolicy): Promise<PolicyView> {
    // The DTO validates this already; the command can also be sent from code, and nothing
    // unparseable may ever be saved.
    const valid = validateCondition(input.condition);
    if (!valid.ok) {
      throw invalidFields([{ field: 'condition', errors: [valid.error] }]);
    }
    const view = await this.tx.run(async () => {
      const row = await this.policies.insert({
        id: uuidv7(),
        tenant_id: tenantId,
        name: input.name,
        description: input.description ?? '',
        category: input.category,
        action: input.action,
        scope: input.scope,
        scope_agent_id: input.scope === 'agent' ? (input.scopeAgentId ?? null) : null,
        condition: input.condition,
        status: input.status ?? 'draft',
        source_type: 'manual',
        source_pattern_id: null,
        source_recovery_id: null,
        generation_confidence: null,
      });
      this.policies.notifyChanged(tenantId, row.scope === 'global');
      const view = policyView(row);
      await this.audit.record({
        tenantId,
        actor,
        action: 'policy.created',
        subject: { type: 'policy', id: row.id },
        after: view,
      });
      return view;
    });
    // Committed (or joined to a caller's transaction, whose commit the NOTIFY follows).
    this.pdp.changed(tenantId, view.scope === 'global');
    return view;
  }
}
