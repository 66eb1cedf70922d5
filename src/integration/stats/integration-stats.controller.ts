import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { IntegrationStatsService } from './integration-stats.service.js';

export class StatsQuery {
  @ApiProperty({ required: false, default: 24, minimum: 0.01, maximum: 8760 })
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.01) @Max(8760) hours?: number;
}

export class TimeseriesQuery extends StatsQuery {
  @ApiProperty({ required: false, default: 24, minimum: 1, maximum: 500 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) buckets?: number;
}

@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration/stats')
export class IntegrationStatsController {
  constructor(private readonly stats: IntegrationStatsService) {}

  @ApiOperation({ summary: 'Loop statistics over a window' })
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
