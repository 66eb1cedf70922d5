import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { ListDraftPolicies } from './list-draft-policies.query.js';

@QueryHandler(ListDraftPolicies)
export class ListDraftPoliciesHandler implements IQueryHandler<ListDraftPolicies> {
  constructor(private readonly policies: PoliciesRepository) {}

  async execute({ tenantId, limit }: ListDraftPolicies): Promise<{ items: PolicyView[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.policies.list(tenantId, { status: 'draft' }, null, limit),
      this.policies.countWithStatus(tenantId, 'draft'),
    ]);
    return { items: rows.map(policyView), total };
  }
}
