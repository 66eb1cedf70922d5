import { BadRequestException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { validateCondition } from '../cel.js';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { CreatePolicy } from './create-policy.command.js';

@CommandHandler(CreatePolicy)
export class CreatePolicyHandler implements ICommandHandler<CreatePolicy> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly policies: PoliciesRepository,
  ) {}

  execute({ tenantId, input }: CreatePolicy): Promise<PolicyView> {
    // The DTO validates this already; the command can also be sent from code, and nothing
    // unparseable may ever be saved.
    const valid = validateCondition(input.condition);
    if (!valid.ok) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'invalid fields: condition',
        fields: [{ field: 'condition', errors: [valid.error] }],
      });
    }
    return this.tx.run(async () => {
      const row = await this.policies.insert({
        id: randomUUID(),
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
      return policyView(row);
    });
  }
}
