import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PoliciesRepository } from '../policies.repository.js';
import { GetPolicyActivePeriods, type PolicyActivePeriod } from './get-policy-active-periods.query.js';

@QueryHandler(GetPolicyActivePeriods)
export class GetPolicyActivePeriodsHandler implements IQueryHandler<GetPolicyActivePeriods> {
  constructor(private readonly policies: PoliciesRepository) {}

  async execute({ tenantId, from, until }: GetPolicyActivePeriods): Promise<PolicyActivePeriod[]> {
    const rows = await this.policies.activePeriods(tenantId, from, until);
    return rows.map((r) => ({
      policyId: r.policy_id,
      patternId: r.source_pattern_id,
      from: r.active_from,
      until: r.active_until,
    }));
  }
}
