import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { inOneSnapshot } from '../../../platform/database/one-snapshot.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PoliciesRepository } from '../policies.repository.js';
import { policyView, type PolicyView } from '../policy.view.js';
import { ListDraftPolicies } from './list-draft-policies.query.js';

@QueryHandler(ListDraftPolicies)
export class ListDraftPoliciesHandler implements IQueryHandler<ListDraftPolicies> {
  constructor(
    private readonly policies: PoliciesRepository,
    private readonly tx: TransactionHost,
  ) {}

  async execute({ tenantId, limit, ids }: ListDraftPolicies): Promise<{ items: PolicyView[]; total: number }> {
    if (ids !== undefined) {
      const items = (await this.policies.findWithStatus(tenantId, ids, 'draft')).map(policyView);
      return { items, total: items.length };
    }
    // One snapshot: a draft activated between separate reads was listed and not counted, or
    // counted and not listed (the inbox counted a snoozed one as waiting).
    const [rows, total] = await inOneSnapshot(this.tx, () =>
      Promise.all([
        this.policies.list(tenantId, { status: 'draft' }, null, limit),
        this.policies.countWithStatus(tenantId, 'draft'),
      ]),
    );
    return { items: rows.map(policyView), total };
  }
}
