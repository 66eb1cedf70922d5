import { Query } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

export type { RunView };

export interface ListIncidentRunsProps {
  tenantId: string;
  incidentId: string;
}

/** An incident's recovery runs, oldest first, each with its steps (for the evidence export). */
export interface ListIncidentRuns extends ListIncidentRunsProps {}
export class ListIncidentRuns extends Query<RunView[]> {
  constructor(props: ListIncidentRunsProps) {
    super();
    Object.assign(this, props);
  }
}
