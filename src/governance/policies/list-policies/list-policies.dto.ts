import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { POLICY_SOURCE_TYPES, POLICY_STATUSES } from '../policy.view.js';

export class ListPoliciesQuery {
  @ApiProperty({ required: false, enum: POLICY_STATUSES }) @IsOptional() @IsIn(POLICY_STATUSES) status?: string;
  @ApiProperty({ required: false, enum: POLICY_SOURCE_TYPES })
  @IsOptional()
  @IsIn(POLICY_SOURCE_TYPES)
  sourceType?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() sourcePatternId?: string;
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
