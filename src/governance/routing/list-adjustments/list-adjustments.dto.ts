import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';

export class ListAdjustmentsQuery {
  @ApiProperty({ required: false }) @IsOptional() @IsString() agentId?: string;
  @ApiProperty({ required: false, description: 'the source policy' }) @IsOptional() @IsUUID() policyId?: string;
  @ApiProperty({ required: false, enum: ['true', 'false'], description: 'the isActive flag' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
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
