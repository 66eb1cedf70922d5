import { Query } from '@nestjs/cqrs';
import type { PolicyPage } from '../policy.view.js';
import type { ListPoliciesQuery } from './list-policies.dto.js';

export interface ListPoliciesProps {
  tenantId: string;
  /** Filters, `limit` and the previous page's `cursor`, as `GET /policies` takes them. */
  query: ListPoliciesQuery;
}

/** A page of the tenant's policies (and the global ones), newest first. */
export interface ListPolicies extends ListPoliciesProps {}
export class ListPolicies extends Query<PolicyPage> {
  constructor(props: ListPoliciesProps) {
    super();
    Object.assign(this, props);
  }
}
