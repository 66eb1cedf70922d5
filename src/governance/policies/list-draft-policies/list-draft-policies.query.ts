import { Query } from '@nestjs/cqrs';
import type { PolicyView } from '../policy.view.js';

export interface ListDraftPoliciesProps {
  tenantId: string;
  /** At most this many, the newest. */
  limit: number;
  /** Only these policies (uuids), those that are drafts, all of them: inbox items looked up by their ids. */
  ids?: readonly string[];
}

/** The tenant's draft policies, waiting for an admin to activate (or disable) them, and how many there are. */
export interface ListDraftPolicies extends ListDraftPoliciesProps {}
export class ListDraftPolicies extends Query<{ items: PolicyView[]; total: number }> {
  constructor(props: ListDraftPoliciesProps) {
    super();
    Object.assign(this, props);
  }
}
