import { Command } from '@nestjs/cqrs';

/**
 * A new incident matched a pattern (bridge 2 says so): runs of that pattern on the same agent
 * and capability that are verifying fail their verification (DESIGN §8). Resolves to how many.
 */
export class NoteRecurrence extends Command<number> {
  readonly tenantId: string;
  readonly patternId: string;
  readonly agentId: string | null;
  readonly capability: string | null;
  readonly incidentId: string;
  /** When the incident was reported: one from before a run started is no recurrence of it. */
  readonly reportedAt: Date;
  constructor(props: { tenantId: string; patternId: string; agentId: string | null; capability: string | null; incidentId: string; reportedAt: Date }) {
    super();
    ({ tenantId: this.tenantId, patternId: this.patternId, agentId: this.agentId, capability: this.capability, incidentId: this.incidentId, reportedAt: this.reportedAt } = props);
  }
}
