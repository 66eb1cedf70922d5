import { ApiProperty } from '@nestjs/swagger';
import type { CanarySpec } from '../recovery/canary-step.js';
import { CANARY_OUTCOMES, orderParams, type CanaryOutput } from './engine/canary-trial.js';

/** A canary step's trial as the API answers it (DESIGN §13): every candidate, the winner, the restore and its SLA. */

const RESULTS = ['untried', 'passed', 'failed', 'not_tried'] as const;

export class CanaryCandidateView {
  @ApiProperty() index!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the parameter set tried' })
  params!: Record<string, unknown>;
  @ApiProperty({
    enum: RESULTS,
    description: 'its check: passed or failed; not_tried when the budget ran out or the run stopped first',
  })
  result!: (typeof RESULTS)[number];
  @ApiProperty({ type: String, nullable: true, description: 'why it failed or was not tried' }) reason!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'its score when it passed; higher wins' }) score!:
    number | null;
  @ApiProperty({ nullable: true, description: "the canary's answer: {status, body}" }) answer!: unknown;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'when it was judged' }) at!:
    string | null;
}

export class CanaryWinnerView {
  @ApiProperty() index!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty() score!: number;
}

export class CanaryRestoreView {
  @ApiProperty({ description: 'restoreWithinMs: the SLA' }) slaMs!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'how long the restore took, once done' }) ms!:
    number | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'whether the SLA was met, once done' })
  withinSla!: boolean | null;
}

export class CanaryView {
  @ApiProperty({ enum: ['apply', 'promote', 'restore', 'done'] }) stage!: CanaryOutput['stage'];
  @ApiProperty({
    type: String,
    nullable: true,
    enum: CANARY_OUTCOMES,
    description:
      "promoted: the winner was put in place; no_candidate: none passed and the canary was restored; interrupted: the run stopped mid-trial (canceled, out of time, failed) and restores the canary before its rollback; failed: the step's own promote failed (or an apply's calls were interrupted too often), and the canary is restored before the step ends failed",
  })
  outcome!: CanaryOutput['outcome'];
  @ApiProperty({ type: [CanaryCandidateView] }) candidates!: CanaryCandidateView[];
  @ApiProperty({ type: CanaryWinnerView, nullable: true }) winner!: CanaryWinnerView | null;
  @ApiProperty({ type: CanaryRestoreView, nullable: true }) restore!: CanaryRestoreView | null;
  @ApiProperty({ type: String, nullable: true, description: 'what was tried and what came of it' }) summary!:
    string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description:
      'when the trial stopped using the canary (its promote or restore answered, or a person took the step over); null while it runs. The canary budget counts the step up to here, not a wait for a work order or a person after it',
  })
  endedAt!: string | null;
}

/** The typed view of a canary step's output (null before the step started), parameters in the playbook's order. */
export function canaryView(output: unknown, spec: Pick<CanarySpec, 'paramOrder'>): CanaryView | null {
  const o = output as Partial<CanaryOutput> | null;
  if (!o || !Array.isArray(o.candidates) || typeof o.stage !== 'string') return null;
  return {
    stage: o.stage,
    outcome: o.outcome ?? null,
    candidates: o.candidates.map((c) => ({
      index: c.index,
      params: orderParams(spec, c.params),
      result: c.result,
      reason: c.reason,
      score: c.score,
      answer: c.answer,
      at: c.at,
    })),
    winner: o.winner ? { ...o.winner, params: orderParams(spec, o.winner.params) } : null,
    restore: o.restore ?? null,
    summary: o.summary ?? null,
    endedAt: o.endedAt ?? null,
  };
}
