import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, encodeCursor, pageOf } from '../../../platform/http/cursor.js';
import { PoliciesRepository } from '../policies.repository.js';
import { type PolicyPage, policyView } from '../policy.view.js';
import { ListPolicies } from './list-policies.query.js';

@QueryHandler(ListPolicies)
export class ListPoliciesHandler implements IQueryHandler<ListPolicies> {
  constructor(private readonly policies: PoliciesRepository) {}

  async execute({ tenantId, query }: ListPolicies): Promise<PolicyPage> {
    const limit = query.limit ?? 50;
    const rows = await this.policies.list(tenantId, query, decodeCursor(query.cursor), limit + 1);
    return pageOf(rows, limit, policyView, (r) => encodeCursor(r.created_at, r.id));
  }
}
