import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNumber, IsOptional, Max, Min } from 'class-validator';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { IntegrationStatsService } from './integration-stats.service.js';

export class StatsQuery {
  @ApiProperty({ required: false, default: 24, minimum: 0.01, maximum: 8760 })
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.01) @Max(8760) hours?: number;
}

@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration/stats')
export class IntegrationStatsController {
  constructor(private readonly stats: IntegrationStatsService) {}

  @Get()
  get(@Query() q: StatsQuery, @CurrentPrincipal() p: Principal) {
    return this.stats.compute(p.tenantId, q.hours ?? 24);
  }
}
