import {
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { invalidFields } from '../../platform/http/validation.js';
import { PLAYBOOK_CATALOG } from '../playbooks.provider.js';
import type { PlaybookCatalog } from '../recovery/playbook-catalog.js';
import { ListPatternsQuery, MatchRequestDto, UpdatePatternDto } from './catalog.dto.js';
import { FailurePatternRepository } from './failure-pattern.repository.js';
import { fileSignature } from './pattern-matcher.js';
import { patternView } from './pattern.view.js';
import { extractSignature } from './signature.js';

@ApiTags('catalog')
@ApiBearerAuth()
@Controller('catalog')
export class CatalogController {
  constructor(
    private readonly patterns: FailurePatternRepository,
    @Inject(PLAYBOOK_CATALOG) private readonly playbooks: PlaybookCatalog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionHost,
    private readonly audit: AuditTrail,
  ) {}

  @ApiOperation({ summary: 'List failure patterns' })
  @Get('patterns')
  async list(@Query() query: ListPatternsQuery, @CurrentPrincipal() p: Principal) {
    const limit = query.limit ?? 50;
    const rows = await this.patterns.list(p.tenantId, query, decodeCursor(query.cursor), limit + 1);
    return pageOf(rows, limit, patternView, (r) => encodeCursor(r.last_seen_at, r.id));
  }

  @ApiOperation({ summary: 'Get a failure pattern' })
  @Get('patterns/:id')
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal) {
    const row = await this.patterns.find(p.tenantId, id);
    if (!row) throw new NotFoundException(`pattern ${id} not found`);
    // Every incident of the pattern counted once, so the incident count is the occurrence count.
    return {
      ...patternView(row),
      incidentCount: row.occurrence_count,
      templateTokens: row.template_tokens,
      history: await this.patterns.history(p.tenantId, id),
    };
  }

  /**
   * Sets the pattern's recovery template and whether its recoveries may be auto-applied; 409 for a
   * merged pattern, naming the survivor (which files its incidents now, so the change belongs there).
   */
  @ApiOperation({ summary: 'Update a failure pattern (template, auto-apply)' })
  @ApiOkResponse({ description: 'the pattern, changed' })
  @ApiConflictResponse({ description: 'the pattern was merged into another (`mergedIntoId`): change that one' })
  @Patch('patterns/:id')
  @RequireRole('admin')
  async update(@Param('id', UuidParam) id: string, @Body() body: UpdatePatternDto, @CurrentPrincipal() p: Principal) {
    if (body.recoveryTemplate && !this.playbooks.has(body.recoveryTemplate.playbookId)) {
      const known = this.playbooks.all().map((pb) => pb.id);
      throw invalidFields([
        { field: 'recoveryTemplate.playbookId', errors: [`unknown playbook; known: ${known.join(', ')}`] },
      ]);
    }
    return this.tx.run(async () => {
      // Locked: a merge either waits and carries this change over, or went first and is refused here.
      const before = await this.patterns.lockForChange(p.tenantId, id);
      if (!before) throw new NotFoundException(`pattern ${id} not found`);
      if (before.merged_into_id)
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          message: `pattern ${id} was merged into ${before.merged_into_id}, which files its incidents now: change that pattern`,
          mergedIntoId: before.merged_into_id,
        });
      const { recoveryTemplate: given } = body;
      const recoveryTemplate = given === undefined ? undefined : given && { ...given };
      const changes = { recoveryTemplate, autoApplyRecovery: body.autoApplyRecovery };
      const row = await this.patterns.update(p.tenantId, id, changes);
      if (!row) throw new NotFoundException(`pattern ${id} not found`);
      const decided = (r: typeof row) => ({
        autoApplyRecovery: r.auto_apply_recovery,
        recoveryTemplate: r.recovery_template,
      });
      await this.audit.record({
        tenantId: p.tenantId,
        actor: actorOf(p),
        action: 'pattern.updated',
        subject: { type: 'pattern', id },
        before: decided(before),
        after: decided(row),
      });
      return patternView(row);
    });
  }

  /** Which pattern would this incident join? Creates nothing. */
  @ApiOperation({ summary: 'Which pattern would this incident match (creates nothing)' })
  @Post('match')
  @HttpCode(200)
  @RequireRole('viewer')
  async match(@Body() body: MatchRequestDto, @CurrentPrincipal() p: Principal) {
    const signature = extractSignature(body.errorType, body.message);
    const candidates = await this.patterns.bucket(p.tenantId, signature.errorType, signature.shapeKey);
    const decision = fileSignature(candidates, signature, this.config.matchThreshold);
    const pattern = decision.kind === 'new' ? null : await this.patterns.find(p.tenantId, decision.id);
    return {
      signature: { errorType: signature.errorType, masked: signature.masked, shapeKey: signature.shapeKey },
      matched: decision.kind !== 'new',
      score: decision.kind === 'new' ? null : decision.score,
      pattern: pattern ? patternView(pattern) : null,
      // The patterns this incident would merge into that one (it shows their position is a parameter).
      wouldMerge: decision.kind === 'merge' ? decision.absorbed : [],
    };
  }
}
