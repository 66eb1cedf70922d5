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
  /**
   * Degradation escalations (source `degradation`) resolved in the bucket, and those resolved with
   * no person: by monitoring, or by an automatic run in which no person finished, retried or skipped a step.
   */
  escalationsResolved: number[];
  escalationsResolvedWithoutPerson: number[];
}

export interface GetIncidentSeriesProps {
  tenantId: string;
  frame: TimeBuckets;
}

export interface GetIncidentSeries extends GetIncidentSeriesProps {}
export class GetIncidentSeries extends Query<IncidentSeries> {
  constructor(props: GetIncidentSeriesProps) {
    super();
    Object.assign(this, props);
  }
}
