import { Query } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

export type { PolicyView };

export interface FindPolicyForPatternProps {
  tenantId: string;
  patternId: string;
}

/** The policy generated for a failure pattern (one per pattern), or null when there is none in the tenant. */
export interface FindPolicyForPattern extends FindPolicyForPatternProps {}
export class FindPolicyForPattern extends Query<PolicyView | null> {
  constructor(props: FindPolicyForPatternProps) {
    super();
    Object.assign(this, props);
  }
}
