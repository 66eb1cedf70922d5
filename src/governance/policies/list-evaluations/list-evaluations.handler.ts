import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { evaluationView, type EvaluationView } from '../evaluation.view.js';
import { EvaluationsRepository } from '../evaluations.repository.js';
import { ListEvaluations } from './list-evaluations.query.js';

export const LIST_EVALUATIONS_DEFAULT_LIMIT = 100;
export const LIST_EVALUATIONS_MAX_LIMIT = 1000;

@QueryHandler(ListEvaluations)
export class ListEvaluationsHandler implements IQueryHandler<ListEvaluations> {
  constructor(private readonly evaluations: EvaluationsRepository) {}

  async execute({ tenantId, filters }: ListEvaluations): Promise<EvaluationView[]> {
    if (filters.policyIds && filters.policyIds.length === 0) return [];
    const requested =
      Number.isInteger(filters.limit) && filters.limit! > 0 ? filters.limit! : LIST_EVALUATIONS_DEFAULT_LIMIT;
    const rows = await this.evaluations.list(
      tenantId,
      { agentId: filters.agentId, policyIds: filters.policyIds, since: filters.since, until: filters.until },
      null,
      Math.min(requested, LIST_EVALUATIONS_MAX_LIMIT),
      filters.order ?? 'asc',
    );
    return rows.map(evaluationView);
  }
}
