import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';
import { POLICY_SOURCE_TYPES, POLICY_STATUSES } from '../policy.view.js';

export class ListPoliciesQuery extends PageQuery {
  @ApiProperty({ required: false, enum: POLICY_STATUSES }) @IsOptional() @IsIn(POLICY_STATUSES) status?: string;
  @ApiProperty({ required: false, enum: POLICY_SOURCE_TYPES })
  @IsOptional()
  @IsIn(POLICY_SOURCE_TYPES)
  sourceType?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsUUID() sourcePatternId?: string;
}
