import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { CurrentPrincipal, RequireRole } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
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
    private readonly audit: AuditTrail,
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
      const before = await this.settings.get(p.tenantId);
      const next = applySettings(before, body, problems);
      if (problems.length) throw invalidInput(problems);
      await this.settings.save(p.tenantId, next);
      await this.audit.record({
        tenantId: p.tenantId,
        actor: actorOf(p),
        action: 'signal_settings.changed',
        subject: { type: 'signal_settings', id: p.tenantId },
        before,
        after: next,
      });
      return next;
    });
  }
}
