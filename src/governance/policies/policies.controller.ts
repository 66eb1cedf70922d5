import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { GetIncident } from '../../incidents/get-incident/get-incident.query.js';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { decodeCursor, pageOf } from '../../platform/http/cursor.js';
import { UuidParam } from '../../platform/http/uuid-param.js';
import { ActivatePolicy } from './activate-policy/activate-policy.command.js';
import { validateCondition, type ConditionValidation } from './cel.js';
import { CreatePolicy } from './create-policy/create-policy.command.js';
import { CreatePolicyDto } from './create-policy/create-policy.dto.js';
import { DisablePolicy } from './disable-policy/disable-policy.command.js';
import { EvaluatePolicies, type PolicyDecision } from './evaluate-policies/evaluate-policies.command.js';
import { EvaluatePoliciesDto } from './evaluate-policies/evaluate-policies.dto.js';
import { evaluationDetailView, type EvaluationDetailView } from './evaluation.view.js';
import { EvaluationsRepository } from './evaluations.repository.js';
import { FindPolicyForPattern } from './find-policy-for-pattern/find-policy-for-pattern.query.js';
import { GetPolicy } from './get-policy/get-policy.query.js';
import { ListEvaluationsQuery } from './list-evaluations/list-evaluations.dto.js';
import { ListPoliciesQuery } from './list-policies/list-policies.dto.js';
import { ListPolicies } from './list-policies/list-policies.query.js';
import { PoliciesRepository } from './policies.repository.js';
import { PolicyPage, PolicyView } from './policy.view.js';
import { ValidateConditionDto } from './validate-condition/validate-condition.dto.js';

/** Policy rules. Reads need `viewer`; admins manage policies; `global` scope needs a platform admin. */
@ApiTags('policies')
@ApiBearerAuth()
@Controller('policies')
export class PoliciesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly policies: PoliciesRepository,
    private readonly evaluations: EvaluationsRepository,
  ) {}

  @ApiOperation({ summary: 'List policies' })
  @ApiOkResponse({ type: PolicyPage })
  @Get()
  list(@Query() query: ListPoliciesQuery, @CurrentPrincipal() principal: Principal): Promise<PolicyPage> {
    return this.queries.execute(new ListPolicies({ tenantId: principal.tenantId, query }));
  }

  /**
   * Decides a request against the tenant's policies and the kill switch, and records it. A
   * read-type decision: viewers may ask.
   */
  @ApiOperation({ summary: 'Evaluate the policies for a request' })
  @Post('evaluate')
  @HttpCode(200)
  @RequireRole('viewer')
  evaluate(@Body() body: EvaluatePoliciesDto, @CurrentPrincipal() principal: Principal): Promise<PolicyDecision> {
    return this.commands.execute(
      new EvaluatePolicies({
        tenantId: principal.tenantId,
        request: { agentId: body.agentId, capability: body.capability, context: body.context },
      }),
    );
  }

  /** Parses a CEL condition without saving anything: the console's policy form checks as you type. */
  @ApiOperation({ summary: 'Check a CEL condition' })
  @Post('validate')
  @HttpCode(200)
  @RequireRole('viewer')
  validate(@Body() body: ValidateConditionDto): ConditionValidation {
    return validateCondition(body.condition);
  }

  /** Recorded decisions, newest first. Declared before `:id` so "evaluations" is not taken for an id. */
  @ApiOperation({ summary: 'List policy evaluations' })
  @Get('evaluations')
  async listEvaluations(
    @Query() query: ListEvaluationsQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ items: EvaluationDetailView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const policyIds = query.policyId ? [query.policyId] : [];
    if (query.incidentId) {
      // The incident's pattern → the policy generated for it → evaluations in which that policy matched.
      const incident = await this.queries.execute(
        new GetIncident({ tenantId: principal.tenantId, incidentId: query.incidentId }),
      );
      if (!incident) throw new NotFoundException(`incident ${query.incidentId} not found`);
      const policy = incident.matchedPatternId
        ? await this.queries.execute(
            new FindPolicyForPattern({ tenantId: principal.tenantId, patternId: incident.matchedPatternId }),
          )
        : null;
      if (!policy || (query.policyId && query.policyId !== policy.id)) return { items: [], nextCursor: null };
      if (!query.policyId) policyIds.push(policy.id);
    }
    const rows = await this.evaluations.list(
      principal.tenantId,
      {
        agentId: query.agentId,
        policyIds: policyIds.length ? policyIds : undefined,
        since: query.since,
        until: query.until,
      },
      decodeCursor(query.cursor),
      limit + 1,
    );
    return pageOf(rows, limit, evaluationDetailView, (r) => EvaluationsRepository.cursorOf(r));
  }

  @ApiOperation({ summary: 'Get a policy' })
  @ApiOkResponse({ type: PolicyView })
  @Get(':id')
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    return found(id, await this.queries.execute(new GetPolicy({ tenantId: principal.tenantId, policyId: id })));
  }

  @ApiOperation({ summary: 'Create a policy' })
  @ApiCreatedResponse({ type: PolicyView })
  @Post()
  @RequireRole('admin')
  create(@Body() body: CreatePolicyDto, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    if (body.scope === 'global' && !principal.platformAdmin) {
      throw new ForbiddenException('global policies need a platform admin key');
    }
    return this.commands.execute(
      new CreatePolicy({ tenantId: principal.tenantId, input: body, actor: actorOf(principal) }),
    );
  }

  @ApiOperation({ summary: 'Activate a policy' })
  @ApiOkResponse({ type: PolicyView })
  @Post(':id/activate')
  @HttpCode(200)
  @RequireRole('admin')
  async activate(@Param('id', UuidParam) id: string, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    return found(
      id,
      await this.commands.execute(
        new ActivatePolicy({
          tenantId: principal.tenantId,
          policyId: id,
          actor: actorOf(principal),
          mayChangeGlobal: principal.platformAdmin,
        }),
      ),
    );
  }

  @ApiOperation({ summary: 'Disable a policy' })
  @ApiOkResponse({ type: PolicyView })
  @Post(':id/disable')
  @HttpCode(200)
  @RequireRole('admin')
  async disable(@Param('id', UuidParam) id: string, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    return found(
      id,
      await this.commands.execute(
        new DisablePolicy({
          tenantId: principal.tenantId,
          policyId: id,
          actor: actorOf(principal),
          mayChangeGlobal: principal.platformAdmin,
        }),
      ),
    );
  }
}

function found(id: string, policy: PolicyView | null): PolicyView {
  if (!policy) throw new NotFoundException(`policy ${id} not found`);
  return policy;
}
