import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { toLoopStatus, toStageDetails } from './loop-status.js';
import { LoopTraceRepository } from './loop-trace.repository.js';

@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration/loop')
export class LoopController {
  constructor(private readonly traces: LoopTraceRepository) {}

  private async trace(tenantId: string, incidentId: string) {
    const trace = await this.traces.find(tenantId, incidentId);
    if (!trace) throw new NotFoundException(`incident ${incidentId} not found`);
    return trace;
  }

  @Get(':incidentId')
  async status(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @CurrentPrincipal() p: Principal) {
    return toLoopStatus(await this.trace(p.tenantId, incidentId));
  }

  @Get(':incidentId/stages')
  async stages(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @CurrentPrincipal() p: Principal) {
    return toStageDetails(await this.trace(p.tenantId, incidentId));
  }
}
