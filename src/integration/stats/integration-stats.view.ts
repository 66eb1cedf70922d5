import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import type { ResolutionStats } from '../../incidents/get-resolution-stats/get-resolution-stats.query.js';
import type { RunStats } from '../../self-healing/runs/get-run-stats/get-run-stats.query.js';
import { RunsByStatus } from '../../self-healing/runs/run.view.js';

export class StageStats {
  @ApiProperty() completed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() held!: number;
  @ApiProperty() avgMs!: number;
}

class Mttr {
  @ApiProperty() avg!: number;
  @ApiProperty() p50!: number;
  @ApiProperty() fastest!: number;
  @ApiProperty() slowest!: number;
}

class RunCounts extends RunsByStatus {
  @ApiProperty() total!: number;
}

/** DESIGN §5 IntegrationStats, with §8's resolution and run figures. */
export class IntegrationStats {
  @ApiProperty() windowHours!: number;
  @ApiProperty() totalIncidents!: number;
  @ApiProperty() patternsMatched!: number;
  @ApiProperty() patternsCreated!: number;
  @ApiProperty() recoveriesSuggested!: number;
  @ApiProperty() recoveriesApplied!: number;
  @ApiProperty({ description: 'distinct policies bridge 3 created or updated in the window' })
  policiesGenerated!: number;
  @ApiProperty({
    description:
      'distinct routing adjustments bridge 4 wrote in the window, one per (policy, agent, capability): an adjustment rewritten by later incidents counts once',
  })
  routingAdjustments!: number;
  @ApiProperty() avgLoopCompletionTimeMs!: number;
  @ApiProperty() p50LoopCompletionTimeMs!: number;
  @ApiProperty() p95LoopCompletionTimeMs!: number;
  @ApiProperty() p99LoopCompletionTimeMs!: number;
  @ApiProperty() loopCompletionRate!: number;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(StageStats) } }) stages!: Record<
    string,
    StageStats
  >;
  /** DESIGN §8: how incidents got resolved and how recovery runs went, over the same window. */
  @ApiProperty({ type: Mttr, nullable: true }) mttrMs!: ResolutionStats['mttrMs'];
  @ApiProperty() resolveRate!: number;
  @ApiProperty({ type: Number, nullable: true }) autoApplySuccessRate!: number | null;
  @ApiProperty({ type: RunCounts }) runs!: RunStats['runs'];
}
