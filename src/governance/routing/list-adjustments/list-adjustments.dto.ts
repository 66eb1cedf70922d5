import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';

export class ListAdjustmentsQuery extends PageQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() agentId?: string;
  @ApiProperty({ required: false, description: 'the source policy' }) @IsOptional() @IsUUID() policyId?: string;
  @ApiProperty({
    required: false,
    enum: ['true', 'false'],
    description:
      'true: in effect now (not switched off, not expired by the database’s clock), as `isActive`; false: the others, expired ones included',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}
