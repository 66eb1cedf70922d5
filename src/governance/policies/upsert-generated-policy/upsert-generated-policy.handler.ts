import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PoliciesRepository } from '../policies.repository.js';
import { generatePolicy } from '../policy-generator.js';
import { UpsertGeneratedPolicy, type UpsertGeneratedPolicyResult } from './upsert-generated-policy.command.js';

@CommandHandler(UpsertGeneratedPolicy)
export class UpsertGeneratedPolicyHandler implements ICommandHandler<UpsertGeneratedPolicy> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
  ) {}

  execute({ tenantId, input }: UpsertGeneratedPolicy): Promise<UpsertGeneratedPolicyResult> {
    return this.tx.run(async () => {
      // The command's tenant is authoritative: a policy never lands in (or names) another tenant.
      const generated = generatePolicy({ ...input, tenantId });
      const id = randomUUID();
      const row = await this.policies.upsertGenerated(id, tenantId, input.pattern.id, input.recovery.id, generated);
      return {
        policyId: row.id,
        isNew: row.id === id,
        status: row.status,
        action: row.action,
        category: row.category,
        scope: row.scope,
        confidence: generated.confidence,
      };
    });
  }
}
