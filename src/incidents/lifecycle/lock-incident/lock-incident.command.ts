import { Command } from '@nestjs/cqrs';

export interface LockIncidentProps {
  tenantId: string;
  incidentId: string;
}

/**
 * Holds the incident's row until the caller's transaction ends: a check that decides the incident's
 * status from other rows (a run finishing asks whether another run of it is still trying) waits for
 * the changes already under way, and sees them once they commit. Resolves to whether it exists.
 */
export interface LockIncident extends LockIncidentProps {}
export class LockIncident extends Command<boolean> {
  constructor(props: LockIncidentProps) {
    super();
    Object.assign(this, props);
  }
}
