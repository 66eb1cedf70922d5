import { Query } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

/** One policy of the tenant, or null when the tenant has no such policy. */
export class GetPolicy extends Query<PolicyView | null> {
  constructor(
    readonly tenantId: string,
    readonly policyId: string,
  ) {
    super();
  }
}
