import { Query } from '@nestjs/cqrs';
import type { TimeBuckets } from '../../platform/database/time-buckets.js';

/** Per time bucket, from the incidents table. Times are ms; null where no incident qualified. */
export interface IncidentSeries {
  /** Incidents reported (created) in the bucket. */
  incidents: number[];
  /** Of the incidents resolved in the bucket: resolvedAt − occurredAt. */
  mttrP50Ms: (number | null)[];
  mttrP90Ms: (number | null)[];
  /** Of the incidents a recovery run resolved in the bucket: resolvedAt − createdAt (from detection to the verified fix). */
  detectionToFixP50Ms: (number | null)[];
  /** Degradation escalations (source `degradation`) resolved in the bucket, and those resolved by a run or by monitoring (no operator's hand). */
  escalationsResolved: number[];
  escalationsResolvedWithoutPerson: number[];
}

export class GetIncidentSeries extends Query<IncidentSeries> {
  constructor(
    readonly tenantId: string,
    readonly frame: TimeBuckets,
  ) {
    super();
  }
}
