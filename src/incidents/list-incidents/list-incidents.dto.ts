import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID } from 'class-validator';
import { PageQuery } from '../../platform/http/page-query.js';
import { IsCalendarDate } from '../../platform/http/validation.js';
import { INCIDENT_SOURCES, INCIDENT_STATUSES } from '../incident.view.js';
import { SEVERITIES } from '../report-incident/report-incident.dto.js';

export class ListIncidentsQuery extends PageQuery {
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
}
