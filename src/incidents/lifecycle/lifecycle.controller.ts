import { Body, ConflictException, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { IncidentView } from '../incident.view.js';
import { AcknowledgeIncident } from './acknowledge-incident/acknowledge-incident.command.js';
import { ResolveIncident } from './resolve-incident/resolve-incident.command.js';

export class ResolveIncidentDto {
  @ApiProperty({ required: false, description: 'why it is resolved, for the timeline' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  note?: string;
}

/** An operator's hand on the lifecycle: acknowledge, resolve. */
@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class LifecycleController {
  constructor(private readonly commands: CommandBus) {}

  @ApiOperation({ summary: 'Acknowledge an incident' })
  @ApiOkResponse({ type: IncidentView })
  @Post(':id/acknowledge')
  @HttpCode(200)
  @ApiConflictResponse({ description: 'already acknowledged, or resolved' })
  acknowledge(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal): Promise<IncidentView> {
    return this.commands.execute(new AcknowledgeIncident({ tenantId: p.tenantId, incidentId: id, actor: actorOf(p) }));
  }

  @ApiOperation({ summary: 'Resolve an incident by hand' })
  @ApiOkResponse({ type: IncidentView })
  @Post(':id/resolve')
  @HttpCode(200)
  @ApiConflictResponse({ description: 'already resolved' })
  async resolve(
    @Param('id', UuidParam) id: string,
    @Body() body: ResolveIncidentDto,
    @CurrentPrincipal() p: Principal,
  ): Promise<IncidentView> {
    const { incident, changed } = await this.commands.execute(
      new ResolveIncident({ tenantId: p.tenantId, incidentId: id, resolvedBy: actorOf(p), note: body.note }),
    );
    if (!changed)
      throw new ConflictException(
        `incident ${id} was already resolved by ${incident.resolvedBy} at ${incident.resolvedAt}`,
      );
    return incident;
  }
}
