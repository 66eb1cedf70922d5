import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { IsCalendarDate } from '../../../platform/http/validation.js';

export class ListEvaluationsQuery {
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
