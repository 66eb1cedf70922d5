import { Query } from '@nestjs/cqrs';
import type { RuleView } from '../rule.view.js';

export interface ListRulesProps {
  tenantId: string;
  /** One rule by name (an empty list when there is none). */
  name?: string;
}

/** A tenant's notification rules, by name. */
export interface ListRules extends ListRulesProps {}
export class ListRules extends Query<RuleView[]> {
  constructor(props: ListRulesProps) {
    super();
    Object.assign(this, props);
  }
}
