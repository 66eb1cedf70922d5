import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { ActivateKillSwitchDto, DeactivateKillSwitchQuery } from './killswitch.dto.js';
import { KillSwitchRepository } from './killswitch.repository.js';
import { killSwitchListing, KillSwitchListing } from './killswitch.view.js';
import { SetKillSwitch, type KillSwitchChange } from './set-killswitch/set-killswitch.command.js';

/** The kill switch of the caller's tenant or of one of its agents. Reads: viewer; changes: admin. */
@ApiTags('guard')
@ApiBearerAuth()
@Controller('guard/killswitch')
export class KillSwitchController {
  constructor(
    private readonly commands: CommandBus,
    private readonly switches: KillSwitchRepository,
  ) {}

  @ApiOperation({ summary: 'Kill switch state' })
  @ApiOkResponse({ type: KillSwitchListing })
  @Get()
  async state(@CurrentPrincipal() principal: Principal): Promise<KillSwitchListing> {
    return killSwitchListing(await this.switches.list(principal.tenantId));
  }

  @ApiOperation({ summary: 'Activate the kill switch' })
  @Post()
  @HttpCode(200)
  @RequireRole('admin')
  activate(@Body() body: ActivateKillSwitchDto, @CurrentPrincipal() principal: Principal): Promise<KillSwitchChange> {
    return this.commands.execute(
      new SetKillSwitch({
        tenantId: principal.tenantId,
        agentId: body.agentId ?? null,
        active: true,
        reason: body.reason,
        actor: actorOf(principal),
      }),
    );
  }

  @ApiOperation({ summary: 'Deactivate the kill switch' })
  @Delete()
  @HttpCode(200)
  @RequireRole('admin')
  deactivate(
    // Takes no body: `{agentId}` sent there is refused (NoBodyInterceptor), or it would turn off the tenant's switch.
    @Query() query: DeactivateKillSwitchQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<KillSwitchChange> {
    return this.commands.execute(
      new SetKillSwitch({
        tenantId: principal.tenantId,
        agentId: query.agentId ?? null,
        active: false,
        reason: query.reason ?? null,
        actor: actorOf(principal),
      }),
    );
  }
}
