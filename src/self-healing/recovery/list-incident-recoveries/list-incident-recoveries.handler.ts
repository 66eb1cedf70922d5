import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PLAYBOOK_CATALOG } from '../../playbooks.provider.js';
import type { PlaybookCatalog } from '../playbook-catalog.js';
import { RecoveryRepository } from '../recovery.repository.js';
import { ListIncidentRecoveries, type IncidentRecovery } from './list-incident-recoveries.query.js';

@QueryHandler(ListIncidentRecoveries)
export class ListIncidentRecoveriesHandler implements IQueryHandler<ListIncidentRecoveries> {
  constructor(
    private readonly recoveries: RecoveryRepository,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
  ) {}

  async execute({ tenantId, incidentId }: ListIncidentRecoveries): Promise<IncidentRecovery[]> {
    // All of them: the evidence export is complete evidence, and cutting at a page size dropped the oldest unsaid.
    const rows = await this.recoveries.listOfIncident(tenantId, incidentId);
    return rows.map((r) => ({
      id: r.id,
      playbookId: r.playbook_id,
      playbookName: this.catalog.get(r.playbook_id)?.name ?? null,
      status: r.status,
      decidedBy: r.decided_by,
      decidedAt: r.decided_at?.toISOString() ?? null,
      createdAt: r.created_at.toISOString(),
    }));
  }
}
