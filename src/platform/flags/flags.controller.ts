import { Body, Controller, ForbiddenException, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
import { CurrentPrincipal, RequireRole } from '../auth/auth.decorators.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { FLAG_NAMES, type FlagName } from '../config/config.js';
import { FlagsService } from './flags.service.js';

export class SetFlagDto {
  @ApiProperty()
  @IsBoolean()
  enabled!: boolean;

  @ApiProperty({ enum: ['global', 'tenant'] })
  @IsIn(['global', 'tenant'])
  scope!: 'global' | 'tenant';
}

@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration/flags')
export class FlagsController {
  constructor(private readonly flags: FlagsService) {}

  @ApiOperation({ summary: 'List feature flags with their history' })
  @Get()
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: await this.flags.list(principal.tenantId), history: await this.flags.history(principal.tenantId) };
  }

  /** Global values are for platform admins; a tenant admin overrides for their own tenant. */
  @ApiOperation({ summary: 'Turn a flag on or off (tenant or global)' })
  @Put(':name')
  @RequireRole('admin')
  async set(@Param('name') name: string, @Body() body: SetFlagDto, @CurrentPrincipal() principal: Principal) {
    if (!(FLAG_NAMES as readonly string[]).includes(name)) {
      throw new NotFoundException(`unknown flag "${name}"; flags are ${FLAG_NAMES.join(', ')}`);
    }
    if (body.scope === 'global' && !principal.platformAdmin) {
      throw new ForbiddenException('global flags need a platform admin key; use scope "tenant"');
    }
    const scopeTenant = body.scope === 'global' ? '' : principal.tenantId;
    await this.flags.set(name as FlagName, body.enabled, scopeTenant, actorOf(principal), principal.tenantId);
    const view = (await this.flags.list(principal.tenantId)).find((f) => f.name === name)!;
    return view;
  }
}
