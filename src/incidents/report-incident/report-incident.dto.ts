import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsOccurredAt, MAX_CLOCK_SKEW_MS, MAX_INCIDENT_AGE_MS } from './occurred-at.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
/** Length counts spaces: a text of spaces alone says nothing (an errorType is trimmed to ''). */
const NOT_BLANK = /\S/;

export class ReportIncidentDto {
  @ApiProperty({ example: 'timeout' })
  @IsString()
  @Length(1, 128)
  @Matches(NOT_BLANK, { message: 'errorType must not be blank' })
  errorType!: string;

  @ApiProperty({ example: 'Upstream request to 10.0.3.7:8443 timed out after 30000 ms' })
  @IsString()
  @Length(1, 16_384)
  @Matches(NOT_BLANK, { message: 'message must not be blank' })
  message!: string;

  @ApiProperty({ required: false, example: 'agent-001' })
  @IsOptional()
  @Matches(NAME, { message: 'agentId must be 1-128 letters, digits or ._:/- characters' })
  agentId?: string;

  @ApiProperty({ required: false, example: 'summarise' })
  @IsOptional()
  @Matches(NAME, { message: 'capability must be 1-128 letters, digits or ._:/- characters' })
  capability?: string;

  @ApiProperty({ required: false, enum: SEVERITIES, default: 'medium' })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiProperty({ required: false })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @Matches(NOT_BLANK, { message: 'title must not be blank' })
  title?: string;

  @ApiProperty({ required: false, type: Object, additionalProperties: true })
  @IsOptional()
  @IsObject()
  context?: Record<string, unknown>;

  @ApiProperty({
    required: false,
    example: '2026-11-24T05:00:00Z',
    description: `When it happened (MTTR starts here): a date-time with an offset, at most ${MAX_CLOCK_SKEW_MS / 60_000} min in the future (clock skew; stored as the time it was received, as it cannot have occurred later) and ${MAX_INCIDENT_AGE_MS / 86_400_000} days in the past; default: now`,
  })
  @IsOptional()
  @IsOccurredAt()
  occurredAt?: string;
}
