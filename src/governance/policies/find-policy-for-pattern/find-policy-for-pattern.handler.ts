import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { FindPolicyForPattern } from './find-policy-for-pattern.query.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@QueryHandler(FindPolicyForPattern)
export class FindPolicyForPatternHandler implements IQueryHandler<FindPolicyForPattern> {
  constructor(private readonly policies: PoliciesRepository) {}

  async execute({ tenantId, patternId }: FindPolicyForPattern): Promise<PolicyView | null> {
    if (typeof patternId !== 'string' || !UUID.test(patternId)) return null; // the column is a uuid
    const row = await this.policies.findBySourcePattern(tenantId, patternId);
    return row ? policyView(row) : null;
  }
}
