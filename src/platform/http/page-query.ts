import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** A page of a keyset-paged list (`newestFirst`): at most `limit` (1–200, default 50), after `cursor`. */
export class PageQuery {
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
