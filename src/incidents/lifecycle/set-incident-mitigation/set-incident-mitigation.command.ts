import { Command } from '@nestjs/cqrs';

export interface SetIncidentMitigationProps {
  tenantId: string;
  incidentId: string;
  mitigating: boolean;
  /** Why, for the timeline (e.g. `run 0190… started`). */
  reason: string;
}

/**
 * A recovery run started (open → mitigating) or ended without resolving it (mitigating → open).
 * A resolved incident is left as it is. Resolves to whether the status changed.
 */
export interface SetIncidentMitigation extends SetIncidentMitigationProps {}
export class SetIncidentMitigation extends Command<boolean> {
  constructor(props: SetIncidentMitigationProps) {
    super();
    Object.assign(this, props);
  }
}
