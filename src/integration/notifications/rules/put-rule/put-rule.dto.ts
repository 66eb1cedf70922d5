import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { DiffersFrom, IsTimeZone } from '../../../../platform/http/validation.js';
import { CLOCK_PATTERN, WEEKDAYS, type Weekday } from '../../../../platform/time/weekly-window.js';
import { SEVERITIES, type Severity } from '../../../severities.js';
import { NAME_MESSAGE, NAME_PATTERN } from '../../names.js';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../notice.js';

const MAX_INTERVAL_MS = 30 * 24 * 3_600_000;
const MAX_FILTER_ENTRIES = 100;

export class QuietHoursDto {
  @ApiProperty({
    type: [String],
    enum: WEEKDAYS,
    example: ['mon', 'tue', 'wed', 'thu', 'fri'],
    description: 'the days on which quiet hours start',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(WEEKDAYS, { each: true })
  days!: Weekday[];

  @ApiProperty({ example: '22:00', description: 'HH:MM, local time, inclusive' })
  @Matches(CLOCK_PATTERN, { message: 'from must be a time HH:MM (00:00 to 23:59)' })
  from!: string;

  @ApiProperty({ example: '07:00', description: 'HH:MM, local time, exclusive; before `from` = past midnight' })
  @Matches(CLOCK_PATTERN, { message: 'to must be a time HH:MM (00:00 to 23:59)' })
  @DiffersFrom('from')
  to!: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone name' })
  @IsTimeZone()
  timeZone!: string;
}

/** `PUT /notifications/rules/:name`: the whole rule (what is left out takes its default). */
export class PutRuleDto {
  @ApiProperty({ example: 'oncall-slack', description: 'the channel the rule sends to (it must exist)' })
  @Matches(NAME_PATTERN, { message: `channel ${NAME_MESSAGE}` })
  channel!: string;

  @ApiProperty({ type: [String], enum: NOTIFICATION_EVENTS, example: ['run.failed', 'run.rollback_failed'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(NOTIFICATION_EVENTS, { each: true })
  events!: NotificationEvent[];

  @ApiProperty({
    required: false,
    enum: SEVERITIES,
    default: 'low',
    description: 'the least severe notice sent',
  })
  @IsOptional()
  @IsIn(SEVERITIES)
  minSeverity?: Severity;

  @ApiProperty({
    required: false,
    type: [String],
    nullable: true,
    description:
      'only notices about these agents; left out (or null) = any; an empty list is refused, it would match nothing',
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_FILTER_ENTRIES)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  agents?: string[] | null;

  @ApiProperty({
    required: false,
    type: [String],
    nullable: true,
    description:
      'only notices about these capabilities; left out (or null) = any; an empty list is refused, it would match nothing',
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_FILTER_ENTRIES)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  capabilities?: string[] | null;

  @ApiProperty({
    required: false,
    type: QuietHoursDto,
    nullable: true,
    description: 'messages due in these hours are held until they end',
  })
  @ValidateIf((_o, v) => v !== undefined && v !== null)
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;

  @ApiProperty({
    example: 3_600_000,
    minimum: 0,
    maximum: MAX_INTERVAL_MS,
    description: 'one message per subject (the same fault) within this; 0 = every time',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_INTERVAL_MS)
  repeatIntervalMs!: number;

  @ApiProperty({
    required: false,
    minimum: 0,
    maximum: MAX_INTERVAL_MS,
    description: 'review.waiting: a review waits this long before it is told (default 30 minutes)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_INTERVAL_MS)
  afterMs?: number;
}
