import { Query } from '@nestjs/cqrs';
import type { ArmedEscalationView } from '../signal.view.js';

export interface ListArmedEscalationsProps {
  tenantId: string;
  /** At most this many, the newest. */
  limit: number;
  /** Only this escalation (a uuid), if it is armed: an inbox item looked up by its id. */
  id?: string;
}

/** Degradation escalations still armed (DESIGN §10), and how many there are. */
export interface ListArmedEscalations extends ListArmedEscalationsProps {}
export class ListArmedEscalations extends Query<{ items: ArmedEscalationView[]; total: number }> {
  constructor(props: ListArmedEscalationsProps) {
    super();
    Object.assign(this, props);
  }
}
