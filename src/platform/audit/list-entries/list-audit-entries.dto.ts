import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsCalendarDate } from '../../http/validation.js';

/** `GET /audit` filters. */
export class ListAuditEntriesQueryDto {
  @ApiProperty({ required: false, example: 'recovery.approved' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  action?: string;
  @ApiProperty({ required: false, description: 'an API key id, system or auto-apply' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  actor?: string;
  @ApiProperty({ required: false, example: 'recovery' }) @IsOptional() @IsString() @Length(1, 100) subjectType?: string;
  @ApiProperty({ required: false }) @IsOptional() @IsString() @Length(1, 200) subjectId?: string;
  @ApiProperty({ required: false, description: 'at or after (ISO 8601)' })
  @IsOptional()
  @IsCalendarDate()
  since?: string;
  @ApiProperty({ required: false, description: 'before (ISO 8601)' }) @IsOptional() @IsCalendarDate() until?: string;
  @ApiProperty({ required: false, default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
  @ApiProperty({ required: false, description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}
