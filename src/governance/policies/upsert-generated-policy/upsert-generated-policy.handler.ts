import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { PolicyDecisionPoint } from '../evaluate-policies/policy-decision-point.js';
import { PoliciesRepository, type PolicyRow } from '../policies.repository.js';
import { generatePolicy, type GeneratedPolicy } from '../policy-generator.js';
import type { PolicyRuleStatus } from '../policy.view.js';
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
      const { row, previous } = await this.store(tenantId, input, generated);
      this.policies.notifyChanged(tenantId, row.scope === 'global');
      const isNew = previous === null;
      // The only status an update changes: draft → active, once the pattern is confident and frequent enough.
      const activated = previous === 'draft' && row.status === 'active';
      await this.audit.record({
        tenantId,
        actor: 'system',
        subject: { type: 'policy', id: row.id },
        action: isNew ? 'policy.generated' : activated ? 'policy.activated' : 'policy.regenerated',
        before: isNew ? null : { status: previous },
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

  /**
   * Inserts the pattern's policy, or updates the one it has, and says the status it had before
   * (null: inserted). That status is read under the row lock the update takes, so it is the status
   * the update replaces: a disable or activation committed meanwhile is seen, not a snapshot from
   * before it (an upsert's own read of it could be stale under READ COMMITTED). An existing policy's
   * status only moves up: `disabled` and `active` are kept, a draft takes the generated status.
   */
  private async store(
    tenantId: string,
    input: UpsertGeneratedPolicy['input'],
    generated: GeneratedPolicy,
  ): Promise<{ row: PolicyRow; previous: PolicyRuleStatus | null }> {
    // A policy is never deleted, only moved by a pattern merge: an insert that found the pattern
    // holding a policy after all finds it locked on the next try, short of merges in between.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const current = await this.policies.lockForPattern(tenantId, input.pattern.id);
      if (current) {
        const status = current.status === 'draft' ? generated.status : current.status;
        // Going active, like an admin's activation, waits for routing work that read "draft".
        if (current.status === 'draft' && status === 'active') await this.policies.lock(tenantId, current.id, 'update');
        const row = await this.policies.updateGenerated(
          tenantId,
          current.id,
          input.recovery.id,
          generated,
          status,
          current.status,
        );
        return { row, previous: current.status };
      }
      const row = await this.policies.insertGenerated(
        uuidv7(),
        tenantId,
        input.pattern.id,
        input.recovery.id,
        generated,
      );
      if (row) return { row, previous: null };
      // Another transaction (another replica) stored the pattern's first policy meanwhile: lock and update it.
    }
    throw new Error(`the policy of pattern ${input.pattern.id} kept changing hands; try again`);
  }
}
