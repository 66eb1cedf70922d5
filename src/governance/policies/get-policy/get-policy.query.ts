import { Query } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

export interface GetPolicyProps {
  tenantId: string;
  policyId: string;
}

/** One policy of the tenant, or null when the tenant has no such policy. */
export interface GetPolicy extends GetPolicyProps {}
export class GetPolicy extends Query<PolicyView | null> {
  constructor(props: GetPolicyProps) {
    super();
    Object.assign(this, props);
  }
}
