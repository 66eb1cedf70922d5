import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { IsCalendarDate } from '../../platform/http/validation.js';
import { INCIDENT_SOURCES, INCIDENT_STATUSES } from '../incident.view.js';
import { SEVERITIES } from '../report-incident/report-incident.dto.js';

export class ListIncidentsQuery {
  @ApiProperty({ required: false, enum: INCIDENT_STATUSES }) @IsOptional() @IsIn(INCIDENT_STATUSES) status?: string;
  @ApiProperty({ required: false, enum: INCIDENT_SOURCES }) @IsOptional() @IsIn(INCIDENT_SOURCES) source?: string;
  @ApiProperty({ required: false, enum: SEVERITIES }) @IsOptional() @IsIn(SEVERITIES) severity?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() errorType?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() agentId?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() capability?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() matchedPatternId?: string;
  @ApiProperty({ required: false, description: 'created at or after (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  since?: string;
  @ApiProperty({ required: false, description: 'created before (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  until?: string;
  @ApiProperty({ required: false, default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
  @ApiProperty({ required: false, description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}
