import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Public } from '../../platform/auth/auth.decorators.js';
import { bearerToken } from '../../platform/auth/bearer-token.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { PLAYBOOK_CATALOG } from '../playbooks.provider.js';
import type { PlaybookCatalog } from '../recovery/playbook-catalog.js';
import { ActOnPausedRun, type PausedRunChoice } from './act-on-paused-run/act-on-paused-run.command.js';
import { RetryStepDto } from './act-on-paused-run/act-on-paused-run.dto.js';
import { CancelRun } from './cancel-run/cancel-run.command.js';
import { FinishWaitingStep } from './finish-waiting-step/finish-waiting-step.command.js';
import { NamedRunView, RunPage, runView, RunView } from './run.view.js';
import { CompleteStepDto, ListRunsQuery, StepParams, StepResultDto } from './runs.dto.js';
import { RunsRepository } from './runs.repository.js';
import { StepCallbackGuard } from './step-callback.guard.js';

/** Recovery runs (DESIGN §8): read them, cancel one, finish a manual step, and the actuators' late results. */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsRepository,
    private readonly commands: CommandBus,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
  ) {}

  private named(run: RunView): NamedRunView {
    return { ...run, playbookName: this.catalog.get(run.playbookId)?.name ?? null };
  }

  @ApiOperation({ summary: 'List recovery runs (filters, cursor pagination)' })
  @ApiOkResponse({ type: RunPage })
  @Get()
  async list(@Query() q: ListRunsQuery, @CurrentPrincipal() p: Principal): Promise<RunPage> {
    const limit = q.limit ?? 50;
    const rows = await this.runs.list(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    const steps = await this.runs.stepsByRun(rows.slice(0, limit).map((r) => r.id));
    return pageOf(
      rows,
      limit,
      (r) => this.named(runView(r, steps.get(r.id))),
      (r) => encodeCursor(r.created_at, r.id),
    );
  }

  @ApiOperation({ summary: 'Get a recovery run with its steps and transitions' })
  @ApiOkResponse({ type: NamedRunView })
  @Get(':id')
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal): Promise<NamedRunView> {
    const whole = await this.runs.findWhole(p.tenantId, id);
    if (!whole) throw new NotFoundException(`run ${id} not found`);
    return this.named(runView(whole.run, whole.steps, whole.transitions));
  }

  /**
   * Accepted: the run stops between steps (a call in flight finishes first), then rolls back. A failure
   * it already holds (a failed step, a recurrence) still fails it: a cancel erases no verdict.
   */
  @ApiOperation({ summary: 'Cancel a recovery run' })
  @ApiAcceptedResponse({ type: RunView })
  @ApiConflictResponse({ description: 'already finished, rolling back, being canceled, or its rollback requested' })
  @Post(':id/cancel')
  @HttpCode(202)
  cancel(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal) {
    return this.commands.execute(new CancelRun({ tenantId: p.tenantId, runId: id, actor: actorOf(p) }));
  }

  @ApiOperation({ summary: 'Retry the failed step a run is paused on (optionally with corrected params)' })
  @ApiOkResponse({ type: RunView })
  @ApiConflictResponse({ description: 'the run is not paused on a failed step, or on another step' })
  @Post(':id/steps/:stepId/retry')
  @HttpCode(200)
  retry(@Param() params: StepParams, @Body() body: RetryStepDto, @CurrentPrincipal() p: Principal) {
    return this.actOnPaused(p, params.id, { kind: 'retry', stepId: params.stepId, params: body.params ?? null });
  }

  @ApiOperation({ summary: 'Skip the failed step a run is paused on; the run goes on' })
  @ApiOkResponse({ type: RunView })
  @ApiConflictResponse({
    description:
      "the run is not paused on a failed step, or on another step; or the step may not be skipped (the run's skipRefusal: a failed verification check, or a run nothing else would judge)",
  })
  @Post(':id/steps/:stepId/skip')
  @HttpCode(200)
  skip(@Param() params: StepParams, @CurrentPrincipal() p: Principal) {
    return this.actOnPaused(p, params.id, { kind: 'skip', stepId: params.stepId });
  }

  /** Accepted: the run fails with its step's failure and its rollback steps run. */
  @ApiOperation({ summary: 'Roll back a run paused on a failed step' })
  @ApiAcceptedResponse({ type: RunView })
  @ApiConflictResponse({ description: 'the run is not paused on a failed step' })
  @Post(':id/rollback')
  @HttpCode(202)
  rollback(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal) {
    return this.actOnPaused(p, id, { kind: 'rollback' });
  }

  private actOnPaused(p: Principal, runId: string, choice: PausedRunChoice) {
    return this.commands.execute(new ActOnPausedRun({ tenantId: p.tenantId, runId, actor: actorOf(p), choice }));
  }

  /** An operator marks a manual step (or a webhook run as manual) done or failed. */
  @ApiOperation({ summary: 'Mark a manual step done or failed' })
  @ApiOkResponse({ type: RunView })
  @ApiConflictResponse({ description: 'the step is not waiting for an operator' })
  @Post(':id/steps/:stepId/complete')
  @HttpCode(200)
  complete(@Param() params: StepParams, @Body() body: CompleteStepDto, @CurrentPrincipal() p: Principal) {
    return this.commands.execute(
      new FinishWaitingStep({
        tenantId: p.tenantId,
        runId: params.id,
        stepId: params.stepId,
        source: { kind: 'operator', actor: actorOf(p) },
        outcome: body.outcome,
        note: body.note ?? null,
        output: body.output,
      }),
    );
  }

  /**
   * An actuator's late answer after 202. It authenticates with the step's callback token from
   * the signed payload (`Authorization: Bearer srt_…`), not an API key.
   */
  @ApiOperation({ summary: "An actuator's late result for a step (callback token)" })
  @Public()
  @UseGuards(StepCallbackGuard)
  @Post(':id/steps/:stepId/result')
  @HttpCode(200)
  async result(
    @Param() params: StepParams,
    @Body() body: StepResultDto,
    @Headers('authorization') authorization: string | undefined,
  ) {
    const token = bearerToken(authorization)!; // StepCallbackGuard let only a step's own token through
    const run = await this.commands.execute(
      new FinishWaitingStep({
        tenantId: null,
        runId: params.id,
        stepId: params.stepId,
        source: { kind: 'result', token },
        outcome: body.outcome,
        note: body.error ?? null,
        output: body.output,
      }),
    );
    // The actuator learns only that it was taken, not the rest of the run.
    return { runId: run.id, stepId: params.stepId, accepted: true };
  }
}
