import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { PolicyDecisionPoint } from '../evaluate-policies/policy-decision-point.js';
import { PoliciesRepository } from '../policies.repository.js';
import { generatePolicy } from '../policy-generator.js';
import { UpsertGeneratedPolicy, type UpsertGeneratedPolicyResult } from './upsert-generated-policy.command.js';

@CommandHandler(UpsertGeneratedPolicy)
export class UpsertGeneratedPolicyHandler implements ICommandHandler<UpsertGeneratedPolicy> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
    private readonly pdp: PolicyDecisionPoint,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ tenantId, input }: UpsertGeneratedPolicy): Promise<UpsertGeneratedPolicyResult> {
    const result = await this.tx.run(async () => {
      // The command's tenant is authoritative: a policy never lands in (or names) another tenant.
      const generated = generatePolicy({ ...input, tenantId });
      const id = uuidv7();
      const row = await this.policies.upsertGenerated(id, tenantId, input.pattern.id, input.recovery.id, generated);
      // Going active, like an admin's activation, waits for routing work that read "draft".
      if (row.previous_status === 'draft' && row.status === 'active')
        await this.policies.lock(tenantId, row.id, 'update');
      this.policies.notifyChanged(tenantId, row.scope === 'global');
      const isNew = row.id === id;
      // The only status an update changes: draft → active, once the pattern is confident and frequent enough.
      const activated = !isNew && row.previous_status !== row.status;
      await this.audit.record({
        tenantId,
        actor: 'system',
        subject: { type: 'policy', id: row.id },
        action: isNew ? 'policy.generated' : activated ? 'policy.activated' : 'policy.regenerated',
        before: isNew ? null : { status: row.previous_status },
        after: {
          status: row.status,
          action: row.action,
          category: row.category,
          scope: row.scope,
          condition: row.condition,
          confidence: generated.confidence,
        },
        reason: `from recovery ${input.recovery.id} of pattern ${input.pattern.id}`,
      });
      return {
        policyId: row.id,
        isNew,
        status: row.status,
        action: row.action,
        category: row.category,
        scope: row.scope,
        confidence: generated.confidence,
      };
    });
    // Usually inside a bridge's transaction: this drops the index early, the NOTIFY (after commit) again.
    this.pdp.changed(tenantId, result.scope === 'global');
    return result;
  }
}
