import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { GetIncidentTimeline } from './get-incident-timeline.query.js';
import { IncidentTimeline } from './timeline.view.js';

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class TimelineController {
  constructor(private readonly queries: QueryBus) {}

  /** Every decision that touched the incident, in time order. */
  @ApiOkResponse({ type: IncidentTimeline })
  @ApiOperation({ summary: "An incident's decision timeline" })
  @Get(':id/timeline')
  async timeline(
    @Param('id', UuidParam) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<IncidentTimeline> {
    const timeline = await this.queries.execute(
      new GetIncidentTimeline({ tenantId: principal.tenantId, incidentId: id }),
    );
    if (!timeline) throw new NotFoundException(`incident ${id} not found`);
    return timeline;
  }
}
