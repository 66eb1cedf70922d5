import { Query } from '@nestjs/cqrs';

/** A period in which a pattern's policy was active: from its activation (by bridge 3 or an admin) to its next status change. */
export interface PolicyActivePeriod {
  policyId: string;
  /** The failure pattern the policy belongs to now (a pattern merge may have moved it). */
  patternId: string;
  from: Date;
  /** Null: active still. */
  until: Date | null;
}

export interface GetPolicyActivePeriodsProps {
  tenantId: string;
  from: Date;
  until: Date;
}

/** The periods overlapping [from, until) in which the tenant's pattern policies were active, from their status history. */
export interface GetPolicyActivePeriods extends GetPolicyActivePeriodsProps {}
export class GetPolicyActivePeriods extends Query<PolicyActivePeriod[]> {
  constructor(props: GetPolicyActivePeriodsProps) {
    super();
    Object.assign(this, props);
  }
}
