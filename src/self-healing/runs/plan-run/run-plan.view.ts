import { ApiProperty } from '@nestjs/swagger';
import type { OnFailure } from '../../recovery/playbook-catalog.js';
import type { StepList } from '../../recovery/playbook-steps.js';
import { STEP_KINDS, type StepKind } from '../run.view.js';

/** What a dry run answers (DESIGN §13): the plan of a run, with nothing called and nothing changed. */

/** A `when` condition as far as it can be decided before the run: most read earlier steps' answers, known only then. */
export class PlannedCondition {
  @ApiProperty() expression!: string;
  @ApiProperty({
    enum: ['runs', 'skipped', 'unknown'],
    description: 'unknown: it reads what earlier steps answer, known when the run gets there',
  })
  result!: 'runs' | 'skipped' | 'unknown';
  @ApiProperty() reason!: string;
}

export class PlannedCanary {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'the parameter sets it would try, in order',
  })
  candidates!: Array<Record<string, unknown>>;
  @ApiProperty() check!: string;
  @ApiProperty() score!: string;
  @ApiProperty({ enum: ['fail', 'escalate'] }) onNoCandidate!: 'fail' | 'escalate';
  @ApiProperty() restoreWithinMs!: number;
  @ApiProperty({ type: Number, nullable: true }) budgetMs!: number | null;
}

export class PlannedStep {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['steps', 'verify', 'rollback'] }) list!: StepList;
  @ApiProperty({ enum: STEP_KINDS }) kind!: StepKind;
  @ApiProperty({ enum: STEP_KINDS, description: 'manual when its actuator is not configured: a person does it' })
  runsAs!: StepKind;
  @ApiProperty() instruction!: string;
  @ApiProperty({ type: String, nullable: true }) actuator!: string | null;
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'whether the tenant has configured its actuator (null: it calls none)',
  })
  actuatorConfigured!: boolean | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the parameters it sends, {{param}} values filled',
  })
  params!: Record<string, unknown>;
  @ApiProperty({ type: Number, nullable: true, description: 'a wait step: how long' }) durationMs!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "a check step: the CEL condition over the actuator's answer",
  })
  condition!: string | null;
  @ApiProperty({ type: PlannedCondition, nullable: true }) when!: PlannedCondition | null;
  @ApiProperty({ type: PlannedCanary, nullable: true }) canary!: PlannedCanary | null;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty() attempts!: number;
}

export class PlannedCall {
  @ApiProperty() stepId!: string;
  @ApiProperty({ enum: ['steps', 'verify', 'rollback'] }) list!: StepList;
  @ApiProperty({
    enum: ['call', 'apply', 'promote', 'restore', 'notify'],
    description: 'call: a webhook or check; apply/promote/restore: a canary; notify: the coding agent',
  })
  purpose!: 'call' | 'apply' | 'promote' | 'restore' | 'notify';
  @ApiProperty() actuator!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'a canary candidate' })
  candidate!: Record<string, unknown> | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'when it is made only in some cases (a condition, a failure, no passing candidate); null: always',
  })
  onlyIf!: string | null;
}

export class GuardrailHold {
  @ApiProperty() guardrail!: string;
  @ApiProperty() reason!: string;
}

/** A dry run's answer: the plan, with nothing called and nothing changed. */
export class RunPlan {
  @ApiProperty({ enum: [true] }) dryRun!: true;
  @ApiProperty() playbookId!: string;
  @ApiProperty() playbookName!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) recoveryId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) incidentId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) patternId!: string | null;
  @ApiProperty({ type: String, nullable: true }) agentId!: string | null;
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the parameters its steps are filled from' })
  params!: Record<string, unknown>;
  @ApiProperty({
    enum: ['pause', 'rollback'],
    description: 'what a failed step would do in a run a person starts (approve, trigger)',
  })
  onFailure!: OnFailure;
  @ApiProperty({ type: [PlannedStep], description: 'every step, verify check and rollback step, in order' })
  steps!: PlannedStep[];
  @ApiProperty({
    type: [PlannedCall],
    description: 'the calls it would make, in order (rollback calls only after a failure)',
  })
  calls!: PlannedCall[];
  @ApiProperty({
    type: [GuardrailHold],
    description: 'the guardrails that would hold it now as an automatic run (a person may still run it)',
  })
  guardrails!: GuardrailHold[];
  @ApiProperty({ description: 'the kill switch would pause it now as an automatic run' }) killSwitch!: boolean;
  @ApiProperty({ type: [String] }) notes!: string[];
}
