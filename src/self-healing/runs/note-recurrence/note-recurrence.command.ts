import { Command } from '@nestjs/cqrs';

export interface NoteRecurrenceProps {
  tenantId: string;
  patternId: string;
  agentId: string | null;
  capability: string | null;
  incidentId: string;
  /** When the incident occurred: judged against each run's window, however late it is processed. */
  occurredAt: Date;
}

/**
 * A new incident matched a pattern (bridge 2 says so): runs of that pattern on the same agent
 * and capability whose window it occurred in fail their verification (DESIGN §8). Written with the transaction's commit.
 */
export interface NoteRecurrence extends NoteRecurrenceProps {}
export class NoteRecurrence extends Command<void> {
  constructor(props: NoteRecurrenceProps) {
    super();
    Object.assign(this, props);
  }
}
