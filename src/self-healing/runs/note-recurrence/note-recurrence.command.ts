import { Command } from '@nestjs/cqrs';

/**
 * A new incident matched a pattern (bridge 2 says so): runs of that pattern on the same agent
 * and capability whose window it occurred in fail their verification (DESIGN §8). Resolves to how many.
 */
export class NoteRecurrence extends Command<number> {
  readonly tenantId: string;
  readonly patternId: string;
  readonly agentId: string | null;
  readonly capability: string | null;
  readonly incidentId: string;
  /** When the incident occurred: judged against each run's window, however late it is processed. */
  readonly occurredAt: Date;
  constructor(props: { tenantId: string; patternId: string; agentId: string | null; capability: string | null; incidentId: string; occurredAt: Date }) {
    super();
    ({ tenantId: this.tenantId, patternId: this.patternId, agentId: this.agentId, capability: this.capability, incidentId: this.incidentId, occurredAt: this.occurredAt } = props);
  }
}
