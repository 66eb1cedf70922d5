import { Query } from '@nestjs/cqrs';
import type { LongestWaiting, WaitingWorkKind, WaitingWorkPage } from '../waiting-work.view.js';

export interface ListWaitingWorkProps {
  tenantId: string;
  kinds: readonly WaitingWorkKind[];
  /** At most this many of each kind, the newest (unless `longest`). */
  limitPerKind: number;
  /**
   * The longest waiting first, of what has waited long enough, from a position on: for a reader
   * that must reach, page by page, all that has waited so long however much waits (review.waiting's
   * sweep), where the newest would always be the same ones.
   */
  longest?: LongestWaiting;
  /**
   * Only what waits about these subjects (their ids: patterns, runs, recoveries or work orders),
   * newest first, all of it (`limitPerKind` does not apply: the subjects bound it): inbox items
   * looked up by their ids, however much else waits. Not with `longest`.
   */
  subjectIds?: readonly string[];
}

/** What of the self-healing platform waits for a person, for the inbox and for review.waiting notifications. */
export interface ListWaitingWork extends ListWaitingWorkProps {}
export class ListWaitingWork extends Query<WaitingWorkPage> {
  constructor(props: ListWaitingWorkProps) {
    super();
    Object.assign(this, props);
  }
}
