import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiPayloadTooLargeResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { batchTooLarge, invalidInput, isPlainObject, type Problem } from '../invalid-input.js';
import { parseWebhookPayload } from './alertmanager-payload.js';
import { ReceiveAlerts, type ReceiveAlertsResult } from './receive-alerts.command.js';

/** Alertmanager's (or Grafana's) webhook receiver; authenticated by `http_config.authorization` with an operator key. */
@ApiTags('intake')
@ApiBearerAuth()
@Controller('intake')
export class AlertmanagerController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('alertmanager')
  @HttpCode(200)
  @ApiBody({ description: 'Alertmanager webhook payload, version 4', schema: { type: 'object', additionalProperties: true } })
  @ApiPayloadTooLargeResponse({ description: 'more alerts than INTAKE_MAX_BATCH' })
  receive(@Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<ReceiveAlertsResult> {
    if (isPlainObject(body) && Array.isArray(body.alerts) && body.alerts.length > this.config.intakeMaxBatch) {
      throw batchTooLarge('alerts', body.alerts.length, this.config.intakeMaxBatch);
    }
    const problems: Problem[] = [];
    const payload = parseWebhookPayload(body, problems);
    if (!payload) throw invalidInput(problems);
    return this.commands.execute(new ReceiveAlerts({ tenantId: p.tenantId, payload }));
  }
}
