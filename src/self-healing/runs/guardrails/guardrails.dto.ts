import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { DiffersFrom, IsTimeZone } from '../../../platform/http/validation.js';
import { CLOCK_PATTERN, WEEKDAYS, type Weekday } from '../../../platform/time/weekly-window.js';
import {
  DEFAULT_GUARDRAIL_SETTINGS,
  MAX_CANARY_RUNS_PER_24H,
  MAX_COOLDOWN_MS,
  MAX_DAILY_BUDGET_MS,
  MAX_RUNS_PER_HOUR,
  MAX_WINDOWS,
  type GuardrailSettings,
} from './guardrail-settings.js';

/** Left out = the default; present, it must be valid (null included, unlike @IsOptional). */
const Given = () => ValidateIf((_o, value) => value !== undefined);

export class MaintenanceWindowDto {
  @ApiProperty({
    type: [String],
    enum: WEEKDAYS,
    example: ['sat', 'sun'],
    description: 'the days on which the window starts (in its time zone)',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(WEEKDAYS, { each: true })
  days!: Weekday[];

  @ApiProperty({ example: '22:00', description: 'HH:MM, local time, inclusive' })
  @Matches(CLOCK_PATTERN, { message: 'start must be a time HH:MM (00:00 to 23:59)' })
  start!: string;

  @ApiProperty({
    example: '06:00',
    description: 'HH:MM, local time, exclusive; before start = the window wraps past midnight',
  })
  @Matches(CLOCK_PATTERN, { message: 'end must be a time HH:MM (00:00 to 23:59)' })
  @DiffersFrom('start')
  end!: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone name' })
  @IsTimeZone()
  timeZone!: string;
}

/** The whole guardrail settings of the tenant; a field left out takes its default (no guardrail). */
export class PutGuardrailsDto implements Partial<GuardrailSettings> {
  @ApiProperty({
    required: false,
    type: [MaintenanceWindowDto],
    default: [],
    description: 'automatic runs only inside one of these; [] = at any time',
  })
  @Given()
  @IsArray()
  @ArrayMaxSize(MAX_WINDOWS)
  @ValidateNested({ each: true })
  @Type(() => MaintenanceWindowDto)
  maintenanceWindows?: MaintenanceWindowDto[];

  @ApiProperty({
    required: false,
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: MAX_RUNS_PER_HOUR,
    default: null,
    description: 'automatic runs created in any rolling hour; null = no limit',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RUNS_PER_HOUR)
  maxAutomaticRunsPerHour?: number | null;

  @ApiProperty({
    required: false,
    default: false,
    description: 'at most one active automatic run per (agent, capability)',
  })
  @Given()
  @IsBoolean()
  oneActiveRunPerAgentCapability?: boolean;

  @ApiProperty({
    required: false,
    minimum: 0,
    maximum: MAX_COOLDOWN_MS,
    default: 0,
    description: 'between automatic runs of one (pattern, agent); 0 = none',
  })
  @Given()
  @IsInt()
  @Min(0)
  @Max(MAX_COOLDOWN_MS)
  cooldownMs?: number;

  @ApiProperty({
    required: false,
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: MAX_DAILY_BUDGET_MS,
    default: null,
    description: 'run time of the automatic runs of the last 24 h; null = no budget',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DAILY_BUDGET_MS)
  dailyAutomaticRunBudgetMs?: number | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: MAX_CANARY_RUNS_PER_24H,
    default: DEFAULT_GUARDRAIL_SETTINGS.canaryRunsPer24h,
    description: 'runs with a canary step (automatic or not) per (pattern, agent) in any rolling 24 h; null = no limit',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CANARY_RUNS_PER_24H)
  canaryRunsPer24h?: number | null;

  @ApiProperty({
    required: false,
    minimum: 0,
    maximum: MAX_COOLDOWN_MS,
    default: DEFAULT_GUARDRAIL_SETTINGS.canaryCooldownMs,
    description: 'between runs with a canary step of one (pattern, agent); 0 = none',
  })
  @Given()
  @IsInt()
  @Min(0)
  @Max(MAX_COOLDOWN_MS)
  canaryCooldownMs?: number;

  @ApiProperty({
    required: false,
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: MAX_DAILY_BUDGET_MS,
    default: DEFAULT_GUARDRAIL_SETTINGS.canaryDailyBudgetMs,
    description: "time the tenant's canary steps of the last 24 h took; null = no budget",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DAILY_BUDGET_MS)
  canaryDailyBudgetMs?: number | null;
}
