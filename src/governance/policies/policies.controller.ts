import { Body, Controller, ForbiddenException, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { ActivatePolicy } from './activate-policy/activate-policy.command.js';
import { CreatePolicy } from './create-policy/create-policy.command.js';
import { CreatePolicyDto } from './create-policy/create-policy.dto.js';
import { DisablePolicy } from './disable-policy/disable-policy.command.js';
import { GetPolicy } from './get-policy/get-policy.query.js';
import { ListPoliciesQuery } from './list-policies/list-policies.dto.js';
import { PoliciesRepository } from './policies.repository.js';
import { policyView, type PolicyView } from './policy.view.js';

/** Policy rules. Reads need `viewer`; admins manage policies; `global` scope needs a platform admin. */
@ApiTags('policies')
@ApiBearerAuth()
@Controller('policies')
export class PoliciesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly policies: PoliciesRepository,
  ) {}

  @Get()
  async list(@Query() query: ListPoliciesQuery, @CurrentPrincipal() principal: Principal) {
    const limit = query.limit ?? 50;
    const rows = await this.policies.list(principal.tenantId, query, decodeCursor(query.cursor), limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(policyView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    return found(id, await this.queries.execute(new GetPolicy(principal.tenantId, id)));
  }

  @Post()
  @RequireRole('admin')
  create(@Body() body: CreatePolicyDto, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    if (body.scope === 'global' && !principal.platformAdmin) {
      throw new ForbiddenException('global policies need a platform admin key');
    }
    return this.commands.execute(new CreatePolicy(principal.tenantId, body));
  }

  @Post(':id/activate')
  @HttpCode(200)
  @RequireRole('admin')
  async activate(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    return found(id, await this.commands.execute(new ActivatePolicy(principal.tenantId, id)));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequireRole('admin')
  async disable(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<PolicyView> {
    return found(id, await this.commands.execute(new DisablePolicy(principal.tenantId, id)));
  }
}

function found(id: string, policy: PolicyView | null): PolicyView {
  if (!policy) throw new NotFoundException(`policy ${id} not found`);
  return policy;
}
