import { ApiProperty } from '@nestjs/swagger';
import { RUN_STATUSES, RunsByStatus, type RunStatus } from '../../self-healing/runs/run.view.js';

export const HEALTH_RANGES = {
  '24h': { bucketMs: 3_600_000, count: 24 },
  '7d': { bucketMs: 6 * 3_600_000, count: 28 },
  '30d': { bucketMs: 86_400_000, count: 30 },
} as const;
export type HealthRange = keyof typeof HEALTH_RANGES;

/** One bucket of the loop-health dashboard. Rates are 0–1; null where nothing in the bucket says anything. */
export class LoopHealthBucket {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ description: 'incidents reported' }) incidents!: number;
  @ApiProperty({ description: 'incidents of a pattern that already had an active policy when they were reported' })
  repeatIncidentsAfterPolicy!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'auto-applied runs that succeeded ÷ auto-applied runs with a verdict (when the verdict came, not when a rollback ended); the bar is > 0.9',
  })
  autoApplySuccessRate!: number | null;
  @ApiProperty({ description: 'auto-applied runs with a verdict (the rate’s denominator)' }) autoApplyVerdicts!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'succeeded runs whose fault did not come back within 24 h ÷ succeeded runs whose 24 h are over (null: none known yet)',
  })
  verifiedPrecision!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'median resolvedAt − occurredAt of incidents resolved in the bucket',
  })
  mttrP50Ms!: number | null;
  @ApiProperty({ type: Number, nullable: true }) mttrP90Ms!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'median resolvedAt − createdAt of incidents a run resolved',
  })
  detectionToFixP50Ms!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'degradation escalations resolved with no person: by monitoring, or by an automatic run in which no person finished, retried or skipped a step ÷ those resolved',
  })
  escalationsWithoutPersonRate!: number | null;
  @ApiProperty({ type: RunsByStatus, description: 'runs started in the bucket, by their state now' })
  runs!: RunsByStatus;
}

/** `GET /integration/stats/loop-health`: the loop's health over time, from stored incidents, runs, recoveries and loop events. */
export class LoopHealth {
  @ApiProperty({ enum: Object.keys(HEALTH_RANGES) }) range!: HealthRange;
  @ApiProperty() bucketMs!: number;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ description: "the blueprint's bar for the auto-apply success rate" }) autoApplySuccessTarget!: number;
  @ApiProperty({ type: [LoopHealthBucket] }) buckets!: LoopHealthBucket[];
}

export const runsAt = (byStatus: Record<RunStatus, number[]>, i: number): RunsByStatus =>
  Object.fromEntries(RUN_STATUSES.map((s) => [s, byStatus[s][i]])) as Record<RunStatus, number>;
