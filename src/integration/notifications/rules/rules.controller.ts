import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRole } from '../../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../../platform/auth/principal.js';
import { checkName } from '../names.js';
import { DeleteRule } from './delete-rule/delete-rule.command.js';
import { ListRules } from './list-rules/list-rules.query.js';
import { PutRule } from './put-rule/put-rule.command.js';
import { PutRuleDto } from './put-rule/put-rule.dto.js';
import { RuleList, RuleView } from './rule.view.js';

/** Which events go to which channel (DESIGN §12). Reads: viewer; changes: admin. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notifications/rules')
export class RulesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Notification rules' })
  @ApiOkResponse({ type: RuleList })
  @Get()
  async list(@CurrentPrincipal() p: Principal): Promise<RuleList> {
    return { items: await this.queries.execute(new ListRules({ tenantId: p.tenantId })) };
  }

  @ApiOperation({ summary: 'One notification rule' })
  @ApiOkResponse({ type: RuleView })
  @Get(':name')
  async get(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<RuleView> {
    const [rule] = await this.queries.execute(new ListRules({ tenantId: p.tenantId, name: checkName(name) }));
    if (!rule) throw new NotFoundException(`notification rule ${name} not found`);
    return rule;
  }

  /** 201 when created, 200 when replaced. */
  @ApiOperation({ summary: 'Create or replace a notification rule' })
  @ApiCreatedResponse({ type: RuleView, description: 'created' })
  @ApiOkResponse({ type: RuleView, description: 'replaced' })
  @Put(':name')
  @RequireRole('admin')
  async put(
    @Param('name') name: string,
    @Body() body: PutRuleDto,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RuleView> {
    const { rule, created } = await this.commands.execute(
      new PutRule({ tenantId: p.tenantId, name: checkName(name), rule: body, actor: actorOf(p) }),
    );
    res.status(created ? 201 : 200);
    return rule;
  }

  @ApiOperation({ summary: 'Delete a notification rule' })
  @ApiNoContentResponse({ description: 'deleted' })
  @Delete(':name')
  @HttpCode(204)
  @RequireRole('admin')
  async delete(@Param('name') name: string, @CurrentPrincipal() p: Principal): Promise<void> {
    await this.commands.execute(new DeleteRule({ tenantId: p.tenantId, name: checkName(name), actor: actorOf(p) }));
  }
}
