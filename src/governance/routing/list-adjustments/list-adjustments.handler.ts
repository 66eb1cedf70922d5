import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, encodeCursor, pageOf } from '../../../platform/http/cursor.js';
import { RoutingRepository } from '../routing.repository.js';
import { type AdjustmentPage, adjustmentView } from '../routing.view.js';
import { ListAdjustments } from './list-adjustments.query.js';

@QueryHandler(ListAdjustments)
export class ListAdjustmentsHandler implements IQueryHandler<ListAdjustments> {
  constructor(private readonly routing: RoutingRepository) {}

  async execute({ tenantId, query }: ListAdjustments): Promise<AdjustmentPage> {
    const limit = query.limit ?? 50;
    const filters = {
      agentId: query.agentId,
      policyId: query.policyId,
      active: query.active === undefined ? undefined : query.active === 'true',
    };
    const rows = await this.routing.listAdjustments(tenantId, filters, decodeCursor(query.cursor), limit + 1);
    return pageOf(rows, limit, adjustmentView, (r) => encodeCursor(r.created_at, r.id));
  }
}
