import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { invalidFields } from '../../platform/http/validation.js';
import { OutboxBacklog } from '../../platform/outbox/outbox-backlog.js';
import { refuseLargeBatch } from '../batch-limit.js';
import { readWebhookPayload } from './read-webhook-payload.js';
import { ReceiveAlerts, type ReceiveAlertsResult } from './receive-alerts.command.js';

/** Alertmanager's (or Grafana's) webhook receiver; authenticated by `http_config.authorization` with an operator key. */
@ApiTags('intake')
@ApiBearerAuth()
@Controller('intake')
export class AlertmanagerController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly backlog: OutboxBacklog,
  ) {}

  @ApiOperation({ summary: 'Alertmanager webhook (version 4)' })
  @Post('alertmanager')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'what each alert did (incident reported, repeat counted, resolved, unmatched, or stale: a late copy, older news than its incident, changing nothing); alerts not of the payload shape are refused on their own, named in rejectedAlerts; truncatedAlerts repeats how many alerts of the group Alertmanager left out (over its max_alerts)',
  })
  @ApiBadRequestResponse({ description: 'an invalid envelope, or no valid alert: every offending field named' })
  @ApiBody({
    description: "Alertmanager's webhook payload (version 4), or Grafana's (version 1)",
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiPayloadTooLargeResponse({
    description:
      'more alerts than INTAKE_MAX_BATCH, or a body over 4 KiB per item of INTAKE_MAX_BATCH (at least 256 KiB)',
  })
  @ApiServiceUnavailableResponse({
    description: 'the loop is over OUTBOX_BACKLOG_LIMIT behind; Alertmanager (and Grafana) retry the notification',
  })
  receive(
    @Body() body: unknown,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReceiveAlertsResult> {
    // The same back-pressure as POST /incidents, but a 503: Alertmanager's webhook retries only 5xx
    // answers (a 429 would drop the notification until the group's next flush), Grafana both.
    this.backlog.refuseWhenBehind(res, HttpStatus.SERVICE_UNAVAILABLE);
    refuseLargeBatch(body, 'alerts', this.config.intakeMaxBatch);
    // Validated here, not by the global pipe: fields only Grafana sends are ignored, not refused,
    // and an alert that is not Alertmanager's shape is refused on its own.
    const read = readWebhookPayload(body);
    if (!read.payload) throw invalidFields(read.problems);
    return this.commands.execute(
      new ReceiveAlerts({ tenantId: p.tenantId, payload: read.payload, rejected: read.rejected }),
    );
  }
}
