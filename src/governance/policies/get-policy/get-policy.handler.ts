import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView } from '../policy.view.js';
import { GetPolicy } from './get-policy.query.js';

@QueryHandler(GetPolicy)
export class GetPolicyHandler implements IQueryHandler<GetPolicy> {
  constructor(private readonly policies: PoliciesRepository) {}

  async execute({ tenantId, policyId }: GetPolicy) {
    const row = await this.policies.find(tenantId, policyId);
    return row ? policyView(row) : null;
  }
}
