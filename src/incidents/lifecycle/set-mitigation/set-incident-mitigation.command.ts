import { Command } from '@nestjs/cqrs';

/**
 * A recovery run started (open → mitigating) or ended without resolving it (mitigating → open).
 * A resolved incident is left as it is. Resolves to whether the status changed.
 */
export class SetIncidentMitigation extends Command<boolean> {
  readonly tenantId: string;
  readonly incidentId: string;
  readonly mitigating: boolean;
  /** Why, for the timeline (e.g. `run 0190… started`). */
  readonly reason: string;

  constructor(props: { tenantId: string; incidentId: string; mitigating: boolean; reason: string }) {
    super();
    ({ tenantId: this.tenantId, incidentId: this.incidentId, mitigating: this.mitigating, reason: this.reason } = props);
  }
}
