import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { INBOX_KINDS, type InboxKind } from '../inbox-item.view.js';

export const SNOOZED_MODES = ['exclude', 'include', 'only'] as const;

/** `GET /inbox`. */
export class ListInboxQuery {
  @ApiProperty({ required: false, enum: INBOX_KINDS }) @IsOptional() @IsIn(INBOX_KINDS) kind?: InboxKind;
  @ApiProperty({ required: false, description: 'only items assigned to this person; `none`: only unassigned ones' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  assignee?: string;
  @ApiProperty({
    required: false,
    enum: SNOOZED_MODES,
    default: 'exclude',
    description: 'snoozed items: left out, listed too, or only them',
  })
  @IsOptional()
  @IsIn(SNOOZED_MODES)
  snoozed?: (typeof SNOOZED_MODES)[number];
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
