import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePlatformAdmin } from '../auth/auth.decorators.js';
import { MetricsService } from './metrics.service.js';

/**
 * The process's metrics are platform-wide (every tenant's requests, runs, calls and deliveries), so
 * only a platform admin key reads them; a viewer one is enough for a Prometheus scraper.
 */
@ApiTags('ops')
@ApiBearerAuth()
@RequirePlatformAdmin()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @ApiOperation({ summary: 'Prometheus metrics (platform admin key)' })
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
