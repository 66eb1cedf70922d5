import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';

export class ListAdjustmentsQuery extends PageQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() agentId?: string;
  @ApiProperty({ required: false, description: 'the source policy' }) @IsOptional() @IsUUID() policyId?: string;
  @ApiProperty({ required: false, enum: ['true', 'false'], description: 'the isActive flag' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}
