import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../../../platform/http/page-query.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../platform/outbox/outbox.repository.js';

/** `GET /integration/outbox/deliveries`. */
export class ListOutboxDeliveriesQuery extends PageQuery {
  @ApiProperty({ required: false, enum: DELIVERY_STATUSES, description: 'dead: the dead letters' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
  @ApiProperty({ required: false, example: 'bridge_4.policy-to-routing' })
  @IsOptional()
  @Matches(/^[a-z0-9_.-]{1,100}$/, { message: 'handler must be a handler name' })
  handler?: string;
}
