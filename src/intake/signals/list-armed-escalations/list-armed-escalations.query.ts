import { Query } from '@nestjs/cqrs';
import type { ArmedEscalationView } from '../signal.view.js';

export interface ListArmedEscalationsProps {
  tenantId: string;
  /** At most this many, the newest. */
  limit: number;
  /** Only these escalations (uuids), those that are armed, all of them: inbox items looked up by their ids. */
  ids?: readonly string[];
}

/**
 * Degradation escalations still armed (DESIGN §10) whose incident is not resolved: what waits for a
 * person. And how many there are.
 */
export interface ListArmedEscalations extends ListArmedEscalationsProps {}
export class ListArmedEscalations extends Query<{ items: ArmedEscalationView[]; total: number }> {
  constructor(props: ListArmedEscalationsProps) {
    super();
    Object.assign(this, props);
  }
}
