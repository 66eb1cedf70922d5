import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { invalidInput, type Problem } from '../invalid-input.js';
import { applySettings, type IntakeSettings } from './intake-settings.js';
import { IntakeSettingsRepository } from './intake-settings.repository.js';

/** Thresholds, windows, history, retention and Alertmanager label names, per tenant. */
@ApiTags('signals')
@ApiBearerAuth()
@Controller('signals/settings')
export class IntakeSettingsController {
  constructor(
    private readonly tx: TransactionHost,
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
    return this.tx.run(async () => {
      await this.tx.query(`SELECT 1 FROM intake_settings WHERE tenant_id = $1 FOR UPDATE`, [p.tenantId]);
      const problems: Problem[] = [];
      const next = applySettings(await this.settings.get(p.tenantId), body, problems);
      if (problems.length) throw invalidInput(problems);
      await this.settings.save(p.tenantId, next);
      return next;
    });
  }
}
