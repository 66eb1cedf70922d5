import { ApiProperty } from '@nestjs/swagger';
import { LOOP_STAGES, type LoopStage, type StageStatus } from './loop-stages.js';
import type { LoopTraceRow } from './loop-trace.repository.js';

export class LoopStatus {
  @ApiProperty({ format: 'uuid' }) incidentId!: string;
  @ApiProperty({ enum: ['running', 'complete', 'failed', 'held'] }) state!: 'running' | 'complete' | 'failed' | 'held';
  @ApiProperty({ enum: LOOP_STAGES }) currentStage!: LoopStage;
  @ApiProperty({ enum: LOOP_STAGES, isArray: true }) stagesCompleted!: LoopStage[];
  @ApiProperty() totalStages!: number;
  @ApiProperty() completionPct!: number;
  @ApiProperty() isComplete!: boolean;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) completedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: true },
    description:
      "per completed stage, what it recorded when it completed (e.g. the recovery's status when it was suggested)",
  })
  details!: Partial<Record<LoopStage, Record<string, unknown>>>;
}

export class LoopStageDetail {
  @ApiProperty({ enum: LOOP_STAGES }) stage!: LoopStage;
  @ApiProperty({ enum: ['completed', 'in_progress', 'pending', 'failed', 'held'] }) status!: StageStatus;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) completedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
}

/** The LoopStatus of DESIGN.md §5, derived from the stored trace. */
export function toLoopStatus(trace: LoopTraceRow): LoopStatus {
  const records = LOOP_STAGES.map((stage) => [stage, trace.stages[stage]] as const);
  const stagesCompleted = records.filter(([, r]) => r?.status === 'completed').map(([s]) => s);
  const isComplete = trace.stages.routing_adjusted?.status === 'completed';
  const state = isComplete
    ? 'complete'
    : records.some(([, r]) => r?.status === 'failed')
      ? 'failed'
      : records.some(([, r]) => r?.status === 'held')
        ? 'held'
        : 'running';
  const details: LoopStatus['details'] = {};
  for (const [stage, r] of records) if (r?.status === 'completed') details[stage] = r.details;
  const completedAt = isComplete ? (trace.completed_at ?? null) : null;
  return {
    incidentId: trace.incident_id,
    state,
    currentStage: stagesCompleted[stagesCompleted.length - 1] ?? 'incident_created',
    stagesCompleted,
    totalStages: LOOP_STAGES.length,
    completionPct: Math.round((stagesCompleted.length / LOOP_STAGES.length) * 100),
    isComplete,
    startedAt: trace.started_at.toISOString(),
    completedAt: completedAt?.toISOString() ?? null,
    durationMs: completedAt ? completedAt.getTime() - trace.started_at.getTime() : null,
    details,
  };
}

/** Every stage, in loop order; the first not yet reached is `in_progress` while the loop runs. */
export function toStageDetails(trace: LoopTraceRow): LoopStageDetail[] {
  const running = toLoopStatus(trace).state === 'running';
  let nextMarked = false;
  return LOOP_STAGES.map((stage) => {
    const r = trace.stages[stage];
    let status: StageStatus = r && r.status !== 'pending' ? r.status : 'pending';
    if (status === 'pending' && running && !nextMarked) {
      status = 'in_progress';
      nextMarked = true;
    }
    return {
      stage,
      status,
      startedAt: r?.startedAt ?? null,
      completedAt: r?.completedAt ?? null,
      durationMs: r?.durationMs ?? null,
      attempts: r?.attempts ?? 0,
      error: r?.error ?? null,
      details: r?.details ?? {},
    };
  });
}
