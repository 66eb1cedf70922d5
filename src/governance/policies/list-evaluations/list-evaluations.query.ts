import { Query } from '@nestjs/cqrs';
import type { EvaluationView } from '../evaluation.view.js';

export type { EvaluationView };

export interface ListEvaluationsFilters {
  /** Evaluations in which any of these policies matched (active or shadow); `[]` matches nothing. */
  policyIds?: string[];
  agentId?: string;
  /** Inclusive, ISO 8601. */
  since?: string;
  /** Exclusive, ISO 8601. */
  until?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  /** By creation: 'asc' (default) oldest first, 'desc' newest first. */
  order?: 'asc' | 'desc';
}

export interface ListEvaluationsProps {
  tenantId: string;
  filters: ListEvaluationsFilters;
}

/** The tenant's recorded policy decisions, in creation order (`filters.order`). */
export interface ListEvaluations extends ListEvaluationsProps {}
export class ListEvaluations extends Query<EvaluationView[]> {
  constructor(props: ListEvaluationsProps) {
    super();
    Object.assign(this, props);
  }
}
