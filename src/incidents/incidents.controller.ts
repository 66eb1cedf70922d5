import { Body, Controller, Get, Headers, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../platform/auth/auth.decorators.js';
import type { Principal } from '../platform/auth/principal.js';
import { checkIdempotencyKey } from '../platform/idempotency/idempotency-keys.js';
import { OutboxBacklog } from '../platform/outbox/outbox-backlog.js';
import { IncidentPage, IncidentView } from './incident.view.js';
import { ListIncidentsQuery } from './list-incidents/list-incidents.dto.js';
import { ListIncidents } from './list-incidents/list-incidents.query.js';
import { ReportIncident } from './report-incident/report-incident.command.js';
import { ReportIncidentDto } from './report-incident/report-incident.dto.js';

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class IncidentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly backlog: OutboxBacklog,
  ) {}

  @ApiOperation({ summary: 'Report an incident' })
  @ApiCreatedResponse({ type: IncidentView })
  @Post()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'same key + same body → the same incident (for IDEMPOTENCY_KEY_TTL_HOURS, default 24); another body → 422',
  })
  @ApiTooManyRequestsResponse({
    description: 'more than OUTBOX_BACKLOG_LIMIT outbox deliveries are pending; retry after `Retry-After` seconds',
  })
  async report(
    @Body() body: ReportIncidentDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ) {
    const key = checkIdempotencyKey(idempotencyKey);
    this.backlog.refuseWhenBehind(res);
    const { incident, replayed } = await this.commands.execute(
      new ReportIncident({ tenantId: principal.tenantId, input: body, idempotencyKey: key }),
    );
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return incident;
  }

  @ApiOperation({ summary: 'List incidents (filters, cursor pagination)' })
  @ApiOkResponse({ type: IncidentPage })
  @Get()
  list(@Query() query: ListIncidentsQuery, @CurrentPrincipal() principal: Principal): Promise<IncidentPage> {
    return this.queries.execute(new ListIncidents({ tenantId: principal.tenantId, query }));
  }
}
