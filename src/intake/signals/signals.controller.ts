import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import type { Principal } from '../../platform/auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { IsCalendarDate } from '../../platform/http/validation.js';
import { refuseLargeBatch } from '../batch-limit.js';
import { IntakeSettingsRepository } from '../settings/intake-settings.repository.js';
import { RecordSamples, type RecordSamplesResult } from './record-samples/record-samples.command.js';
import { samplesOf } from './samples.js';
import { EscalationPage, escalationView, symptomView } from './signal.view.js';
import { SignalsRepository } from './signals.repository.js';

export class ListSignalsQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() metric?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() agentId?: string;
  @ApiProperty({ required: false, description: 'at or after (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  since?: string;
  @ApiProperty({ required: false, description: 'escalations only: true = still armed by the wall clock' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: string;
  @ApiProperty({ required: false, default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
  @ApiProperty({ required: false, description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

/** Metric samples in; symptoms and escalations out (DESIGN §10). */
@ApiTags('signals')
@ApiBearerAuth()
@Controller('signals')
export class SignalsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly signals: SignalsRepository,
    private readonly settings: IntakeSettingsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiOperation({ summary: 'Record metric samples' })
  @Post('metrics')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'what each sample did (recorded, symptom, escalation): `{accepted, repeated, evaluated, symptoms, escalations, insufficientHistory, skippedWindows, pruned}`. ' +
      '`skippedWindows`: windows of enough symptoms that armed no escalation, each `{metric, agentId, capability, from, until, symptoms, reason, oldestAllowed}`; ' +
      'reason `older_than_incident_age`: the window ended before `oldestAllowed` (30 days before the database’s now), further back than an incident may be dated',
  })
  @ApiBadRequestResponse({ description: 'invalid entries, each named' })
  @ApiBody({ schema: { type: 'object', properties: { samples: { type: 'array', items: { type: 'object' } } } } })
  @ApiPayloadTooLargeResponse({
    description:
      'more samples than INTAKE_MAX_BATCH, or a body over 4 KiB per item of INTAKE_MAX_BATCH (at least 256 KiB)',
  })
  async record(@Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<RecordSamplesResult> {
    refuseLargeBatch(body, 'samples', this.config.intakeMaxBatch);
    // Checked here, not by the global pipe: which metrics exist and what they take are the tenant's settings.
    const samples = samplesOf(body, await this.settings.get(p.tenantId), new Date());
    return this.commands.execute(new RecordSamples({ tenantId: p.tenantId, samples }));
  }

  /** Newest first. */
  @ApiOperation({ summary: 'List detected symptoms' })
  @Get('symptoms')
  async symptoms(@Query() q: ListSignalsQuery, @CurrentPrincipal() p: Principal) {
    const limit = q.limit ?? 50;
    const rows = await this.signals.listSymptoms(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    return pageOf(rows, limit, symptomView, (r) => encodeCursor(r.at, r.id));
  }

  /** Newest first. */
  @ApiOperation({ summary: 'List degradation escalations' })
  @ApiOkResponse({ type: EscalationPage })
  @Get('escalations')
  async escalations(@Query() q: ListSignalsQuery, @CurrentPrincipal() p: Principal): Promise<EscalationPage> {
    const limit = q.limit ?? 50;
    const rows = await this.signals.listEscalations(p.tenantId, q, decodeCursor(q.cursor), limit + 1);
    return pageOf(rows, limit, escalationView, (r) => encodeCursor(r.armed_at, r.id));
  }
}
