import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PLAYBOOK_CATALOG } from '../../playbooks.provider.js';
import type { PlaybookCatalog } from '../playbook-catalog.js';
import { RecoveryRepository } from '../recovery.repository.js';
import { GetRecovery, type RecoveryWithPlaybook } from './get-recovery.query.js';

@QueryHandler(GetRecovery)
export class GetRecoveryHandler implements IQueryHandler<GetRecovery> {
  constructor(
    private readonly recoveries: RecoveryRepository,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
  ) {}

  async execute({ tenantId, recoveryId }: GetRecovery): Promise<RecoveryWithPlaybook | null> {
    const r = await this.recoveries.find(tenantId, recoveryId);
    if (!r) return null;
    const playbook = this.catalog.get(r.playbook_id);
    return {
      id: r.id,
      patternId: r.source_pattern_id,
      playbookId: r.playbook_id,
      confidence: r.confidence,
      status: r.status,
      playbook: playbook ? { id: playbook.id, name: playbook.name, policy: playbook.policy } : null,
    };
  }
}
