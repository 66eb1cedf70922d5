import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowAgent, CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { GetRunStats } from '../runs/get-run-stats/get-run-stats.query.js';
import { PlanRun } from '../runs/plan-run/plan-run.query.js';
import { RunPlan } from '../runs/plan-run/run-plan.view.js';
import { runView, workOrderOf, type RunRow, type StepRow } from '../runs/run.view.js';
import { RunsRepository } from '../runs/runs.repository.js';
import { ActOnWorkOrder, type WorkOrderAction } from './act-on-work-order/act-on-work-order.command.js';
import {
  CompleteDto,
  FailDto,
  ListPatchRunsQuery,
  ListWorkOrdersQuery,
  ProgressDto,
  ReasonDto,
  TriggerDto,
} from './patches.dto.js';
import { TriggerPlaybook } from './trigger-playbook/trigger-playbook.command.js';
import { TriggeredRunView } from './triggered-run.view.js';
import { WORK_ORDER_STATUSES, workOrderView, type WorkOrderStatus } from './work-order.view.js';
import { WorkOrdersRepository } from './work-orders.repository.js';

/**
 * The coding agent's side of escalation (DESIGN §9). Keys of role `agent` may use the
 * work-order routes and nothing else; people read them as viewers and act on them as operators.
 */
@ApiTags('patches')
@ApiBearerAuth()
@Controller('patches')
export class PatchesController {
  constructor(
    private readonly orders: WorkOrdersRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly runs: RunsRepository,
  ) {}

  @ApiOperation({ summary: 'List work orders' })
  @Get('work-orders')
  @AllowAgent()
  async list(@Query() q: ListWorkOrdersQuery, @CurrentPrincipal() p: Principal) {
    const limit = q.limit ?? 50;
    const rows = await this.orders.list(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    return pageOf(
      rows,
      limit,
      (r) => workOrderView(r),
      (r) => encodeCursor(r.created_at, r.id),
    );
  }

  @ApiOperation({
    summary: 'Get a work order with its history',
    description:
      '`incidentResolvedAt` says when its incident was resolved (by monitoring, an operator or a run): nothing is left to patch. An order nobody held then is canceled; a claimed one may still be completed or failed, but its run counts no verified fix.',
  })
  @Get('work-orders/:id')
  @AllowAgent()
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal) {
    const row = await this.orders.find(p.tenantId, id);
    if (!row) throw new NotFoundException(`work order ${id} not found`);
    return workOrderView(row, await this.orders.history(row.id));
  }

  /** The answer carries `claimToken` (this once): progress, complete and fail present it. */
  @ApiOperation({ summary: 'Claim a work order (coding agent)' })
  @Post('work-orders/:id/claim')
  @AllowAgent()
  @HttpCode(200)
  claim(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'claim' });
  }

  @ApiOperation({ summary: 'Report progress on a claimed work order' })
  @Post('work-orders/:id/progress')
  @AllowAgent()
  @HttpCode(200)
  progress(@Param('id', UuidParam) id: string, @Body() body: ProgressDto, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, {
      kind: 'progress',
      claimToken: body.claimToken ?? null,
      note: body.note,
      percent: body.percent ?? null,
    });
  }

  @ApiOperation({
    summary: 'Complete a claimed work order with its patch',
    description:
      "Completed (or failed) after its incident was resolved, the order's run has nothing left to verify the patch against: an `escalate` step's run is canceled (no verdict, the agent's trust unchanged); a canary's handed over fails with its trial. A rollback step's order counts as before.",
  })
  @Post('work-orders/:id/complete')
  @AllowAgent()
  @HttpCode(200)
  complete(@Param('id', UuidParam) id: string, @Body() body: CompleteDto, @CurrentPrincipal() p: Principal) {
    const result = {
      testsPassed: body.testsPassed,
      filesChanged: body.filesChanged ?? [],
      diffUrl: body.diffUrl ?? null,
      summary: body.summary,
    };
    return this.act(p, id, { kind: 'complete', claimToken: body.claimToken ?? null, result });
  }

  @ApiOperation({ summary: 'Fail a claimed work order' })
  @Post('work-orders/:id/fail')
  @AllowAgent()
  @HttpCode(200)
  fail(@Param('id', UuidParam) id: string, @Body() body: FailDto, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'fail', claimToken: body.claimToken ?? null, reason: body.reason });
  }

  /** An operator withdraws a work order (not an agent: it fails its own instead). */
  @ApiOperation({
    summary: 'Cancel a work order',
    description:
      "The run waiting on it (an `escalate` step) is canceled, as by `POST /runs/:id/cancel`: no verdict, the agent's trust unchanged, its rollback runs. A rollback step's order, or a canary's handed over when no candidate passed, fails that step.",
  })
  @Post('work-orders/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id', UuidParam) id: string, @Body() body: ReasonDto, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'cancel', reason: body.reason });
  }

  /**
   * Escalation figures from stored runs and work orders: escalationRate = runs that escalated ÷
   * all runs; autoFixRate = runs that succeeded without escalating ÷ runs with a verdict.
   */
  @ApiOperation({ summary: 'Patch workflow figures' })
  @Get('stats')
  async stats(@CurrentPrincipal() p: Principal) {
    const s = await this.orders.stats(p.tenantId);
    const runs = await this.queries.execute(new GetRunStats({ tenantId: p.tenantId, hours: null }));
    const workOrders = Object.fromEntries(WORK_ORDER_STATUSES.map((st) => [st, 0])) as Record<WorkOrderStatus, number>;
    for (const { status, count } of s.byStatus) workOrders[status] = count;
    const total = Object.values(workOrders).reduce((a, b) => a + b, 0);
    const minutes = s.averageCompletedMinutes;
    const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 10_000) / 10_000);
    return {
      totalPlaybookRuns: runs.runs.total,
      escalatedRuns: runs.escalated,
      escalationRate: rate(runs.escalated, runs.runs.total),
      autoFixRate: rate(runs.succeededWithoutEscalation, runs.withVerdict),
      workOrders: { total, ...workOrders },
      averagePatchTimeMinutes: minutes === null ? null : Math.round(minutes * 100) / 100,
    };
  }

  /**
   * Runs the playbook matching a reported problem; answers (201) once it has escalated, finished
   * or is waiting. With `dryRun: true`, answers (200) the plan of that run and starts nothing.
   */
  @ApiOperation({ summary: 'Run the matching playbook for a reported problem (or, dryRun, answer its plan)' })
  @ApiCreatedResponse({ type: TriggeredRunView, description: 'the run started, as it stands when it settled' })
  @ApiOkResponse({ type: RunPlan, description: 'dryRun: the plan; nothing started, called or changed' })
  @Post('trigger')
  @HttpCode(201)
  trigger(@Body() body: TriggerDto, @CurrentPrincipal() p: Principal, @Res({ passthrough: true }) res: Response) {
    if (body.dryRun) {
      res.status(200);
      const source = { kind: 'problem' as const, description: body.description, errorType: body.errorType };
      return this.queries.execute(new PlanRun({ tenantId: p.tenantId, source }));
    }
    return this.commands.execute(
      new TriggerPlaybook({
        tenantId: p.tenantId,
        description: body.description,
        errorType: body.errorType,
        filePath: body.filePath ?? null,
        actor: actorOf(p),
      }),
    );
  }

  /** Runs seen from the patch side: each with its work order, if it escalated (`?status=awaiting_patch`: those waiting on one). */
  @ApiOperation({ summary: 'List playbook runs (e.g. awaiting a patch)' })
  @Get('runs')
  async listRuns(@Query() q: ListPatchRunsQuery, @CurrentPrincipal() p: Principal) {
    const limit = q.limit ?? 50;
    const rows = await this.runs.list(p.tenantId, { status: q.status }, decodeCursor(q.cursor), limit + 1);
    const steps = await this.runs.stepsByRun(rows.slice(0, limit).map((r) => r.id));
    return pageOf(
      rows,
      limit,
      (r) => patchRunView(r, steps.get(r.id)!),
      (r) => encodeCursor(r.created_at, r.id),
    );
  }

  @ApiOperation({ summary: 'Get a playbook run' })
  @Get('runs/:id')
  async getRun(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal) {
    const run = await this.runs.find(p.tenantId, id);
    if (!run) throw new NotFoundException(`run ${id} not found`);
    return patchRunView(run, await this.runs.steps(id));
  }

  private act(p: Principal, workOrderId: string, action: WorkOrderAction) {
    return this.commands.execute(
      new ActOnWorkOrder({
        tenantId: p.tenantId,
        workOrderId,
        keyId: p.keyId,
        actor: actorOf(p),
        role: p.role,
        action,
      }),
    );
  }
}

function patchRunView(run: RunRow, steps: StepRow[]) {
  const workOrderId = workOrderOf(steps);
  return { ...runView(run, steps), escalatedToCoding: workOrderId !== null, workOrderId };
}
