import { Query } from '@nestjs/cqrs';
import type { IncidentPage } from '../incident.view.js';
import type { ListIncidentsQuery } from './list-incidents.dto.js';

export interface ListIncidentsProps {
  tenantId: string;
  /** Filters, `limit` and the previous page's `cursor`, as `GET /incidents` takes them. */
  query: ListIncidentsQuery;
}

/** A page of the tenant's incidents, newest first. */
export interface ListIncidents extends ListIncidentsProps {}
export class ListIncidents extends Query<IncidentPage> {
  constructor(props: ListIncidentsProps) {
    super();
    Object.assign(this, props);
  }
}
