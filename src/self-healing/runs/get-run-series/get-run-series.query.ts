import { Query } from '@nestjs/cqrs';
import type { TimeBuckets } from '../../../platform/database/time-buckets.js';
import type { RunStatus } from '../run.view.js';

/** Per time bucket, from the recovery runs. */
export interface RunSeries {
  /** Runs started in the bucket, by their state now. */
  runsByStatus: Record<RunStatus, number[]>;
  /** Auto-applied runs that reached a verdict in the bucket, and those that succeeded (DESIGN §8 autoApplySuccessRate). */
  autoVerdicts: number[];
  autoSucceeded: number[];
  /**
   * Runs that succeeded in the bucket and whose follow-up (RECURRENCE_FOLLOW_UP_MS after they
   * finished) is over — "known" — and those of them whose fault came back in it: a new recovery
   * suggested for the same pattern, agent and capability.
   */
  verifiedKnown: number[];
  verifiedRecurred: number[];
}

/** How long after a verified run a new incident of its pattern on its agent and capability still says the fix did not hold. */
export const RECURRENCE_FOLLOW_UP_MS = 24 * 3_600_000;

export interface GetRunSeriesProps {
  tenantId: string;
  frame: TimeBuckets;
}

export interface GetRunSeries extends GetRunSeriesProps {}
export class GetRunSeries extends Query<RunSeries> {
  constructor(props: GetRunSeriesProps) {
    super();
    Object.assign(this, props);
  }
}
