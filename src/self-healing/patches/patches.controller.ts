import { Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowAgent, CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { ActOnWorkOrder, type WorkOrderAction } from './act-on-work-order/act-on-work-order.command.js';
import { CompleteDto, ListWorkOrdersQuery, ProgressDto, ReasonDto } from './patches.dto.js';
import { WORK_ORDER_STATUSES, workOrderView, type WorkOrderStatus } from './work-order.view.js';
import { WorkOrderJournal } from './work-order.journal.js';
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
    private readonly journal: WorkOrderJournal,
    private readonly commands: CommandBus,
  ) {}

  @Get('work-orders')
  @AllowAgent()
  async list(@Query() q: ListWorkOrdersQuery, @CurrentPrincipal() p: Principal) {
    await this.journal.releaseStaleClaims(p.tenantId);
    const limit = q.limit ?? 50;
    const rows = await this.orders.list(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    return pageOf(rows, limit, (r) => workOrderView(r), (r) => encodeCursor(r.created_at, r.id));
  }

  @Get('work-orders/:id')
  @AllowAgent()
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() p: Principal) {
    await this.journal.releaseStaleClaims(p.tenantId);
    const row = await this.orders.find(p.tenantId, id);
    if (!row) throw new NotFoundException(`work order ${id} not found`);
    return workOrderView(row, await this.orders.history(row.id));
  }

  @Post('work-orders/:id/claim')
  @AllowAgent()
  @HttpCode(200)
  claim(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'claim' });
  }

  @Post('work-orders/:id/progress')
  @AllowAgent()
  @HttpCode(200)
  progress(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ProgressDto, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'progress', note: body.note, percent: body.percent ?? null });
  }

  @Post('work-orders/:id/complete')
  @AllowAgent()
  @HttpCode(200)
  complete(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: CompleteDto, @CurrentPrincipal() p: Principal) {
    const result = { testsPassed: body.testsPassed, filesChanged: body.filesChanged ?? [], diffUrl: body.diffUrl ?? null, summary: body.summary };
    return this.act(p, id, { kind: 'complete', result });
  }

  @Post('work-orders/:id/fail')
  @AllowAgent()
  @HttpCode(200)
  fail(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReasonDto, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'fail', reason: body.reason });
  }

  /** An operator withdraws a work order (not an agent: it fails its own instead). */
  @Post('work-orders/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReasonDto, @CurrentPrincipal() p: Principal) {
    return this.act(p, id, { kind: 'cancel', reason: body.reason });
  }

  /** Work orders by state and the mean patch time, from the stored work orders. */
  @Get('stats')
  async stats(@CurrentPrincipal() p: Principal) {
    await this.journal.releaseStaleClaims(p.tenantId);
    const s = await this.orders.stats(p.tenantId);
    const workOrders = Object.fromEntries(WORK_ORDER_STATUSES.map((st) => [st, 0])) as Record<WorkOrderStatus, number>;
    for (const { status, count } of s.byStatus) workOrders[status] = count;
    const total = Object.values(workOrders).reduce((a, b) => a + b, 0);
    const minutes = s.averageCompletedMinutes;
    return { workOrders: { total, ...workOrders }, averagePatchTimeMinutes: minutes === null ? null : Math.round(minutes * 100) / 100 };
  }

  private act(p: Principal, workOrderId: string, action: WorkOrderAction) {
    return this.commands.execute(new ActOnWorkOrder({ tenantId: p.tenantId, workOrderId, keyId: p.keyId, actor: actorOf(p), action }));
  }
}
