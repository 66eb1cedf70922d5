import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetIncidentSummaries } from '../../incidents/get-incident-summaries/get-incident-summaries.query.js';
import { FailurePatternRepository } from '../catalog/failure-pattern.repository.js';
import { PLAYBOOK_CATALOG } from '../playbooks.provider.js';
import type { PlaybookCatalog } from './playbook-catalog.js';
import type { RecoveryRow } from './recovery.repository.js';
import type { RecoveryNames } from './recovery.view.js';

/** Reads the names a page of recoveries shows (playbook, pattern template, incident title) in two queries. */
@Injectable()
export class RecoveryNamesReader {
  constructor(
    private readonly patterns: FailurePatternRepository,
    private readonly queries: QueryBus,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
  ) {}

  async read(tenantId: string, rows: RecoveryRow[]): Promise<RecoveryNames> {
    const summaries = await this.queries.execute(
      new GetIncidentSummaries({ tenantId, incidentIds: rows.map((r) => r.source_incident_id) }),
    );
    return {
      playbooks: (id) => this.catalog.get(id)?.name ?? null,
      templates: await this.patterns.templates(
        tenantId,
        rows.map((r) => r.source_pattern_id),
      ),
      incidents: new Map(summaries.map((s) => [s.id, s])),
    };
  }
}
