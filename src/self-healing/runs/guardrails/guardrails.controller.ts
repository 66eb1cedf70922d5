import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { CurrentPrincipal, RequireRole } from '../../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../../platform/auth/principal.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { canonicalTimeZone } from '../../../platform/time/weekly-window.js';
import { settingsFrom, type GuardrailSettings } from './guardrail-settings.js';
import { PutGuardrailsDto } from './guardrails.dto.js';
import { GuardrailsRepository, type StoredGuardrails } from './guardrails.repository.js';

export interface GuardrailsView extends GuardrailSettings {
  updatedAt: string | null;
  updatedBy: string | null;
}

const guardrailsView = (g: StoredGuardrails): GuardrailsView => ({
  ...g.settings,
  updatedAt: g.updatedAt ? g.updatedAt.toISOString() : null,
  updatedBy: g.updatedBy,
});

/** Guardrails for automatic recovery runs (DESIGN §8): read by any role, replaced whole by an admin. */
@ApiTags('guardrails')
@ApiBearerAuth()
@Controller('self-healing/guardrails')
export class GuardrailsController {
  constructor(
    private readonly guardrails: GuardrailsRepository,
    private readonly tx: TransactionHost,
    private readonly audit: AuditTrail,
  ) {}

  @ApiOperation({ summary: 'Guardrails for automatic runs' })
  @Get()
  @ApiOkResponse({
    description:
      "the tenant's guardrails (the defaults, no guardrail, until set) with updatedAt and updatedBy (null until set)",
  })
  async get(@CurrentPrincipal() p: Principal): Promise<GuardrailsView> {
    return guardrailsView(await this.guardrails.get(p.tenantId));
  }

  /** Admins only: replaces the settings whole; a field left out takes its default. Time zone names are stored as the runtime spells them. */
  @ApiOperation({ summary: 'Replace the guardrails for automatic runs' })
  @Put()
  @RequireRole('admin')
  @ApiOkResponse({ description: 'the stored guardrails' })
  async put(@Body() body: PutGuardrailsDto, @CurrentPrincipal() p: Principal): Promise<GuardrailsView> {
    const settings = settingsFrom({
      ...body,
      maintenanceWindows: body.maintenanceWindows?.map((w) => ({
        days: w.days,
        start: w.start,
        end: w.end,
        timeZone: canonicalTimeZone(w.timeZone),
      })),
    });
    return this.tx.run(async () => {
      const before = await this.guardrails.get(p.tenantId);
      const saved = await this.guardrails.save(p.tenantId, settings, actorOf(p));
      await this.audit.record({
        tenantId: p.tenantId,
        actor: actorOf(p),
        action: 'guardrails.changed',
        subject: { type: 'guardrails', id: p.tenantId },
        before: before.updatedAt ? before.settings : null,
        after: saved.settings,
      });
      return guardrailsView(saved);
    });
  }
}
