import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { ListPatternSamples } from './list-pattern-samples.query.js';

@QueryHandler(ListPatternSamples)
export class ListPatternSamplesHandler implements IQueryHandler<ListPatternSamples> {
  constructor(private readonly tx: TransactionHost) {}

  async execute({ tenantId, patternId, limit }: ListPatternSamples): Promise<string[]> {
    // Reads at most a page of the newest incidents (idx_incidents_pattern), then keeps the distinct messages.
    const rows = await this.tx.query<{ message: string }>(
      `SELECT message FROM (SELECT message, created_at FROM incidents WHERE tenant_id = $1 AND matched_pattern_id = $2
                              ORDER BY created_at DESC LIMIT 100) recent
        GROUP BY message ORDER BY max(created_at) DESC LIMIT $3`,
      [tenantId, patternId, limit],
    );
    return rows.map((r) => r.message);
  }
}
