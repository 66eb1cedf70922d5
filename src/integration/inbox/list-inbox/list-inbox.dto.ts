import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';
import { INBOX_KINDS, type InboxKind } from '../inbox-item.view.js';

export const SNOOZED_MODES = ['exclude', 'include', 'only'] as const;

/** `GET /inbox`. */
export class ListInboxQuery extends PageQuery {
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
}
