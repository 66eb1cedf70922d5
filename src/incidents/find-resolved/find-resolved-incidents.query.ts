import { Query } from '@nestjs/cqrs';

export interface FindResolvedIncidentsProps {
  tenantId: string;
  incidentIds: string[];
  /**
   * Hold the incidents (locked FOR UPDATE) until the caller's transaction ends: a resolution of one of them
   * waits for it, so what the caller records about an incident it found open is committed before
   * the resolution is, and its IncidentResolved handlers find it.
   */
  holdUntilCommit?: boolean;
}

/** Which of these incidents of the tenant are resolved (the inbox drops what waits on them). */
export interface FindResolvedIncidents extends FindResolvedIncidentsProps {}
export class FindResolvedIncidents extends Query<string[]> {
  constructor(props: FindResolvedIncidentsProps) {
    super();
    Object.assign(this, props);
  }
}
