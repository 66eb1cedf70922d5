import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { escalationView, type ArmedEscalationView } from '../signal.view.js';
import { SignalsRepository } from '../signals.repository.js';
import { ListArmedEscalations } from './list-armed-escalations.query.js';

@QueryHandler(ListArmedEscalations)
export class ListArmedEscalationsHandler implements IQueryHandler<ListArmedEscalations> {
  constructor(private readonly signals: SignalsRepository) {}

  async execute({
    tenantId,
    limit,
    ids,
  }: ListArmedEscalations): Promise<{ items: ArmedEscalationView[]; total: number }> {
    const rows = await this.signals.armedEscalations(tenantId, ids === undefined ? limit : null, ids ?? null);
    return {
      items: rows.map((r) => ({ ...escalationView(r), severity: r.critical ? 'critical' : 'warning' })),
      total: rows[0]?.total ?? 0,
    };
  }
}
