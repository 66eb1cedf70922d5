import { Query } from '@nestjs/cqrs';

export interface FindResolvedIncidentsProps {
  tenantId: string;
  incidentIds: string[];
}

/** Which of these incidents of the tenant are resolved (the inbox drops what waits on them). */
export interface FindResolvedIncidents extends FindResolvedIncidentsProps {}
export class FindResolvedIncidents extends Query<string[]> {
  constructor(props: FindResolvedIncidentsProps) {
    super();
    Object.assign(this, props);
  }
}
