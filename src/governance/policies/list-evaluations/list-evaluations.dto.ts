import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';
import { IsCalendarDate } from '../../../platform/http/validation.js';

export class ListEvaluationsQuery extends PageQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 128) agentId?: string;
  @ApiProperty({ required: false, description: 'evaluations in which this policy matched (enforced or shadow)' })
  @IsOptional()
  @IsUUID()
  policyId?: string;
  @ApiProperty({
    required: false,
    description: "evaluations in which the policy generated from this incident's pattern matched",
  })
  @IsOptional()
  @IsUUID()
  incidentId?: string;
  @ApiProperty({ required: false, description: 'inclusive, ISO 8601' }) @IsOptional() @IsCalendarDate() since?: string;
  @ApiProperty({ required: false, description: 'exclusive, ISO 8601' }) @IsOptional() @IsCalendarDate() until?: string;
}
