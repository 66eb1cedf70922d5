import { Body, Controller, Get, HttpCode, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { utcInstant, IsCalendarDate } from '../../platform/http/validation.js';
import { PlanRun } from '../runs/plan-run/plan-run.query.js';
import { RunPlan } from '../runs/plan-run/run-plan.view.js';
import { NamedRunView } from '../runs/run.view.js';
import { FixScopeQuery } from './fix-scope.dto.js';
import { RecoveryNamesReader } from './recovery-names.reader.js';
import { RECOVERY_STATUSES, RecoveryRepository } from './recovery.repository.js';
import { RecoveryPage, recoveryView, RecoveryView } from './recovery.view.js';
import { ReviewRecovery } from './review-recovery/review-recovery.command.js';
import { SetRecoveryExpiry } from './set-recovery-expiry/set-recovery-expiry.command.js';
import { SetRecoveryExpiryDto } from './set-recovery-expiry/set-recovery-expiry.dto.js';

export class ListRecoveriesQuery extends FixScopeQuery {
  @ApiProperty({ required: false, enum: RECOVERY_STATUSES }) @IsOptional() @IsIn(RECOVERY_STATUSES) status?: string;
  @ApiProperty({ required: false, description: 'suggested at or after (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  since?: string;
  @ApiProperty({ required: false, description: 'suggested before (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  until?: string;
}

export class ReviewDto {
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 2000) note?: string;
}

export class ApprovedRun extends NamedRunView {
  @ApiProperty({ type: RecoveryView }) recovery!: RecoveryView;
}

/** The review queue of the recovery engine. */
@ApiTags('recoveries')
@ApiBearerAuth()
@Controller('recoveries')
export class RecoveriesController {
  constructor(
    private readonly recoveries: RecoveryRepository,
    private readonly names: RecoveryNamesReader,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @ApiOperation({ summary: 'List recoveries (the review queue with status=pending_review)' })
  @ApiOkResponse({ type: RecoveryPage })
  @Get()
  async list(@Query() q: ListRecoveriesQuery, @CurrentPrincipal() p: Principal): Promise<RecoveryPage> {
    const limit = q.limit ?? 50;
    const rows = await this.recoveries.list(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    const names = await this.names.read(p.tenantId, rows.slice(0, limit));
    return pageOf(
      rows,
      limit,
      (r) => recoveryView(r, names),
      (r) => encodeCursor(r.created_at, r.id),
    );
  }

  @ApiOperation({ summary: 'Get a recovery' })
  @ApiOkResponse({ type: RecoveryView })
  @Get(':id')
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal): Promise<RecoveryView> {
    const row = await this.recoveries.find(p.tenantId, id);
    if (!row) throw new NotFoundException(`recovery ${id} not found`);
    return recoveryView(row, await this.names.read(p.tenantId, [row]));
  }

  @ApiOperation({ summary: 'Approve a recovery and start its run' })
  @ApiOkResponse({ type: ApprovedRun })
  @ApiConflictResponse({ description: 'already decided, or its incident is resolved (the recovery is superseded)' })
  @Post(':id/approve')
  @HttpCode(200)
  async approve(
    @Param('id', UuidParam) id: string,
    @Body() body: ReviewDto,
    @CurrentPrincipal() p: Principal,
  ): Promise<ApprovedRun> {
    // DESIGN §8: approving answers with the run it started (and the recovery it applied).
    const { recovery, run } = await this.commands.execute(
      new ReviewRecovery({
        tenantId: p.tenantId,
        recoveryId: id,
        decision: 'applied',
        actor: actorOf(p),
        note: body.note ?? null,
      }),
    );
    const names = await this.names.read(p.tenantId, [recovery]);
    return { ...run!, playbookName: names.playbooks(run!.playbookId), recovery: recoveryView(recovery, names) };
  }

  @ApiOperation({ summary: 'Set when a recovery waiting for review expires (expiresAt)' })
  @ApiOkResponse({ type: RecoveryView })
  @ApiConflictResponse({ description: 'it no longer waits for review' })
  @Patch(':id')
  async setExpiry(
    @Param('id', UuidParam) id: string,
    @Body() body: SetRecoveryExpiryDto,
    @CurrentPrincipal() p: Principal,
  ): Promise<RecoveryView> {
    // Without an offset: UTC. In the future by the database's clock: SetRecoveryExpiry checks it (400 naming expiresAt).
    const expiresAt = utcInstant(body.expiresAt);
    const recovery = await this.commands.execute(
      new SetRecoveryExpiry({ tenantId: p.tenantId, recoveryId: id, expiresAt, actor: actorOf(p) }),
    );
    return recoveryView(recovery, await this.names.read(p.tenantId, [recovery]));
  }

  /** Reads only (a viewer may ask): nothing is called, nothing changes. */
  @ApiOperation({ summary: 'Dry run: the plan of the run approving this recovery would start' })
  @ApiOkResponse({ type: RunPlan })
  @RequireRole('viewer')
  @Post(':id/dry-run')
  @HttpCode(200)
  dryRun(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal): Promise<RunPlan> {
    return this.queries.execute(new PlanRun({ tenantId: p.tenantId, source: { kind: 'recovery', recoveryId: id } }));
  }

  @ApiOperation({ summary: 'Reject a recovery' })
  @ApiOkResponse({ type: RecoveryView })
  @ApiConflictResponse({ description: 'already decided' })
  @Post(':id/reject')
  @HttpCode(200)
  async reject(
    @Param('id', UuidParam) id: string,
    @Body() body: ReviewDto,
    @CurrentPrincipal() p: Principal,
  ): Promise<RecoveryView> {
    const { recovery } = await this.commands.execute(
      new ReviewRecovery({
        tenantId: p.tenantId,
        recoveryId: id,
        decision: 'rejected',
        actor: actorOf(p),
        note: body.note ?? null,
      }),
    );
    return recoveryView(recovery, await this.names.read(p.tenantId, [recovery]));
  }
}
