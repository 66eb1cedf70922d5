import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { LoopHealthService } from '../loop-health/loop-health.service.js';
import { HEALTH_RANGES, LoopHealth, type HealthRange } from '../loop-health/loop-health.view.js';
import { IntegrationStatsService } from './integration-stats.service.js';
import { IntegrationStats, StageStats } from './integration-stats.view.js';

export class StatsQuery {
  @ApiProperty({ required: false, default: 24, minimum: 0.01, maximum: 8760 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0.01)
  @Max(8760)
  hours?: number;
}

export class TimeseriesQuery extends StatsQuery {
  @ApiProperty({ required: false, default: 24, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  buckets?: number;
}

export class LoopHealthQuery {
  @ApiProperty({
    required: false,
    enum: Object.keys(HEALTH_RANGES),
    default: '24h',
    description: '24h: hourly buckets; 7d: 6-hour buckets; 30d: daily buckets',
  })
  @IsOptional()
  @IsIn(Object.keys(HEALTH_RANGES))
  range?: HealthRange;
}

@ApiTags('integration')
@ApiExtraModels(StageStats)
@ApiBearerAuth()
@Controller('integration/stats')
export class IntegrationStatsController {
  constructor(
    private readonly stats: IntegrationStatsService,
    private readonly health: LoopHealthService,
  ) {}

  /** The dashboard's time series: incidents, repeats after a policy, auto-apply success, precision, MTTR, escalations, runs. */
  @ApiOperation({ summary: "The loop's health over 24 h, 7 d or 30 d, per time bucket" })
  @ApiOkResponse({ type: LoopHealth })
  @Get('loop-health')
  loopHealth(@Query() q: LoopHealthQuery, @CurrentPrincipal() p: Principal): Promise<LoopHealth> {
    return this.health.compute(p.tenantId, q.range ?? '24h');
  }

  @ApiOperation({ summary: 'Loop statistics over a window' })
  @ApiOkResponse({ type: IntegrationStats })
  @Get()
  get(@Query() q: StatsQuery, @CurrentPrincipal() p: Principal) {
    return this.stats.compute(p.tenantId, q.hours ?? 24);
  }

  /** Incidents, completed loops and mean loop time per bucket: the overview's charts. */
  @ApiOperation({ summary: 'Loops per time bucket' })
  @Get('timeseries')
  timeseries(@Query() q: TimeseriesQuery, @CurrentPrincipal() p: Principal) {
    return this.stats.timeseries(p.tenantId, q.hours ?? 24, q.buckets ?? 24);
  }
}
