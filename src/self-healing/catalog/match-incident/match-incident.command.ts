import { Command } from '@nestjs/cqrs';

export interface CatalogMatch {
  patternId: string;
  /** Similarity to the pattern it joined; 1 for a new pattern. */
  score: number;
  isNew: boolean;
  occurrenceCount: number;
}

/** Files an incident under the tenant's failure catalog: joins a pattern or founds one. */
export class MatchIncidentToCatalog extends Command<CatalogMatch> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly errorType: string,
    readonly message: string,
    readonly agentId: string | null,
    readonly capability: string | null,
  ) {
    super();
  }
}
