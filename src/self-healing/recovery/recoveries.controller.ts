import { Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { RecoveryRepository, recoveryView } from './recovery.repository.js';
import { ReviewRecovery } from './review/review-recovery.command.js';

export class ListRecoveriesQuery {
  @ApiProperty({ required: false, enum: ['pending_review', 'applied', 'rejected', 'expired'] })
  @IsOptional() @IsIn(['pending_review', 'applied', 'rejected', 'expired']) status?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() patternId?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() incidentId?: string;
  @ApiProperty({ required: false, default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiProperty({ required: false }) @IsOptional() @IsString() cursor?: string;
}

export class ReviewDto {
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 2000) note?: string;
}

/** The review queue of the recovery engine. */
@ApiTags('recoveries')
@ApiBearerAuth()
@Controller('recoveries')
export class RecoveriesController {
  constructor(
    private readonly recoveries: RecoveryRepository,
    private readonly commands: CommandBus,
  ) {}

  @Get()
  async list(@Query() q: ListRecoveriesQuery, @CurrentPrincipal() p: Principal) {
    const limit = q.limit ?? 50;
    const rows = await this.recoveries.list(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    return pageOf(rows, limit, recoveryView, (r) => encodeCursor(r.created_at, r.id));
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() p: Principal) {
    const row = await this.recoveries.find(p.tenantId, id);
    if (!row) throw new NotFoundException(`recovery ${id} not found`);
    return recoveryView(row);
  }

  @Post(':id/approve')
  @HttpCode(200)
  async approve(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReviewDto, @CurrentPrincipal() p: Principal) {
    // DESIGN §8: approving answers with the run it started (and the recovery it applied).
    const { recovery, run } = await this.commands.execute(new ReviewRecovery(p.tenantId, id, 'applied', actorOf(p), body.note ?? null));
    return { ...run!, recovery: recoveryView(recovery) };
  }

  @Post(':id/reject')
  @HttpCode(200)
  async reject(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReviewDto, @CurrentPrincipal() p: Principal) {
    return recoveryView((await this.commands.execute(new ReviewRecovery(p.tenantId, id, 'rejected', actorOf(p), body.note ?? null))).recovery);
  }
}
