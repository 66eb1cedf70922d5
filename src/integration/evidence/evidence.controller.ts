import { Controller, Get, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { EvidenceQuery } from './evidence.dto.js';
import { renderEvidenceMarkdown } from './evidence.markdown.js';
import type { IncidentEvidence } from './evidence.view.js';
import { GetIncidentEvidence } from './get-incident-evidence.query.js';

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('incidents')
export class EvidenceController {
  constructor(private readonly queries: QueryBus) {}

  /** JSON by default; `?format=md` answers a Markdown attachment for a post-incident review. */
  @ApiOperation({ summary: "Export an incident's evidence (JSON or Markdown)" })
  @Get(':id/evidence')
  @ApiProduces('application/json', 'text/markdown')
  async evidence(
    @Param('id', UuidParam) id: string,
    @Query() query: EvidenceQuery,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IncidentEvidence | string> {
    const evidence = await this.queries.execute(
      new GetIncidentEvidence({ tenantId: principal.tenantId, incidentId: id }),
    );
    if (!evidence) throw new NotFoundException(`incident ${id} not found`);
    if (query.format !== 'md') return evidence;
    res.setHeader('Content-Type', 'text/markdown; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="incident-${evidence.incident.id}.md"`);
    return renderEvidenceMarkdown(evidence);
  }
}
