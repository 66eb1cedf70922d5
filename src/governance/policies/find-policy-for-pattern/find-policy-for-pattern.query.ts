import { Query } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

export type { PolicyView };

/** The policy generated for a failure pattern (one per pattern), or null when there is none in the tenant. */
export class FindPolicyForPattern extends Query<PolicyView | null> {
  constructor(
    readonly tenantId: string,
    readonly patternId: string,
  ) {
    super();
  }
}
