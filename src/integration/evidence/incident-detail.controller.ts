import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { GetIncident } from '../../incidents/get-incident/get-incident.query.js';
import { IncidentView } from '../../incidents/incident.view.js';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { GetLoopStatus } from '../loop-status/get-loop-status.query.js';
import { LoopStatus } from '../loop-status/loop-status.js';

export class IncidentDetail extends IncidentView {
  @ApiProperty({ type: LoopStatus, nullable: true }) loop!: LoopStatus | null;
}

/**
 * `GET /incidents/:id`: the incident with its loop status. Composed here, where the loop lives,
 * so the incidents pillar never depends on the loop.
 */
@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class IncidentDetailController {
  constructor(private readonly queries: QueryBus) {}

  @ApiOperation({ summary: 'Get an incident with its loop status' })
  @ApiOkResponse({ type: IncidentDetail })
  @Get(':id')
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() principal: Principal): Promise<IncidentDetail> {
    const incident = await this.queries.execute(new GetIncident({ tenantId: principal.tenantId, incidentId: id }));
    if (!incident) throw new NotFoundException(`incident ${id} not found`);
    const loop = await this.queries.execute(new GetLoopStatus({ tenantId: principal.tenantId, incidentId: id }));
    return { ...incident, loop };
  }
}
