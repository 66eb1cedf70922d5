import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsCalendarDate } from '../../http/validation.js';

/** `POST /audit/retention`. */
export class ApplyAuditRetentionDto {
  @ApiProperty({
    example: '2020-01-01T00:00:00Z',
    description:
      'entries older than this go (at least AUDIT_RETENTION_MIN_DAYS ago); without an offset it is UTC, and it counts to the millisecond',
  })
  @IsCalendarDate()
  before!: string;

  @ApiProperty({ example: 'retention policy: 7 years', minLength: 1, maxLength: 1000 })
  @IsString()
  @Length(1, 1000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}
