import { ApiProperty } from '@nestjs/swagger';
import { ValidateIf } from 'class-validator';
import { IsCalendarDate } from '../../../platform/http/validation.js';

/** `POST /inbox/:id/snooze`. */
export class SnoozeInboxItemDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-12-01T09:00:00Z',
    description: 'hidden until then (at most 90 days ahead; without an offset, UTC); null: back now',
  })
  @ValidateIf((_o, v) => v !== null)
  @IsCalendarDate()
  until!: string | null;
}
