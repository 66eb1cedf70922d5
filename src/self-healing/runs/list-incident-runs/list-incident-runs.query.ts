import { Query } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

export type { RunView };

/** An incident's recovery runs, oldest first, each with its steps (for the evidence export). */
export class ListIncidentRuns extends Query<RunView[]> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
  ) {
    super();
  }
}
