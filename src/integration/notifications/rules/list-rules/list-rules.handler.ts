import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { RuleRepository } from '../rule.repository.js';
import { ruleView, type RuleView } from '../rule.view.js';
import { ListRules } from './list-rules.query.js';

@QueryHandler(ListRules)
export class ListRulesHandler implements IQueryHandler<ListRules> {
  constructor(private readonly rules: RuleRepository) {}

  async execute({ tenantId, name }: ListRules): Promise<RuleView[]> {
    if (name === undefined) return (await this.rules.list(tenantId)).map(ruleView);
    const row = await this.rules.find(tenantId, name);
    return row ? [ruleView(row)] : [];
  }
}
