import { Body, Controller, Get, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import type { IntakeSettings } from './intake-settings.js';
import { IntakeSettingsRepository } from './intake-settings.repository.js';
import { UpdateIntakeSettings } from './update-settings/update-intake-settings.command.js';

/** Thresholds, windows, history, retention and Alertmanager label names, per tenant. */
@ApiTags('signals')
@ApiBearerAuth()
@Controller('signals/settings')
export class IntakeSettingsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly settings: IntakeSettingsRepository,
  ) {}

  @ApiOperation({ summary: 'Intake and detection settings' })
  @Get()
  get(@CurrentPrincipal() p: Principal): Promise<IntakeSettings> {
    return this.settings.get(p.tenantId);
  }

  /** Admins only: a partial body; fields left out keep their value. */
  @ApiOperation({ summary: 'Replace the intake and detection settings' })
  @Put()
  @RequireRole('admin')
  @ApiBody({ schema: { type: 'object', additionalProperties: true } })
  put(@Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<IntakeSettings> {
    return this.commands.execute(new UpdateIntakeSettings({ tenantId: p.tenantId, changes: body, actor: actorOf(p) }));
  }
}
