import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';
import { STUCK_STATUSES, type StuckStatus } from '../../../platform/outbox/outbox.repository.js';

/** `GET /integration/outbox/deliveries`. */
export class ListOutboxDeliveriesQuery extends PageQuery {
  @ApiProperty({
    required: false,
    enum: STUCK_STATUSES,
    default: 'dead',
    description: 'dead: the dead letters; held: held by a flag that is off',
  })
  @IsOptional()
  @IsIn(STUCK_STATUSES)
  status?: StuckStatus;
  @ApiProperty({ required: false, example: 'bridge_4.policy-to-routing' })
  @IsOptional()
  @Matches(/^[a-z0-9_.-]{1,100}$/, { message: 'handler must be a handler name' })
  handler?: string;
}
