import { Query } from '@nestjs/cqrs';
import type { WaitingWorkKind, WaitingWorkPage } from '../waiting-work.view.js';

export interface ListWaitingWorkProps {
  tenantId: string;
  kinds: readonly WaitingWorkKind[];
  /** At most this many of each kind, the newest. */
  limitPerKind: number;
}

/** What of the self-healing platform waits for a person, for the inbox and for review.waiting notifications. */
export interface ListWaitingWork extends ListWaitingWorkProps {}
export class ListWaitingWork extends Query<WaitingWorkPage> {
  constructor(props: ListWaitingWorkProps) {
    super();
    Object.assign(this, props);
  }
}
