import { ApiProperty } from '@nestjs/swagger';
import { IsCalendarDate } from '../../../platform/http/validation.js';

export class SetRecoveryExpiryDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-12-06T09:00:00Z',
    description:
      'when the recovery expires unreviewed (then `expired`, not rejected); in the future; without an offset, UTC',
  })
  @IsCalendarDate()
  expiresAt!: string;
}
