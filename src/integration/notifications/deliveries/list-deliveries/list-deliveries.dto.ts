import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../../../../platform/http/page-query.js';
import { NAME_PATTERN } from '../../names.js';
import { NOTIFICATION_EVENTS } from '../../notice.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../delivery.view.js';

/** `GET /notifications/deliveries`. */
export class ListDeliveriesQuery extends PageQuery {
  @ApiProperty({ required: false, enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
  @ApiProperty({ required: false })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: 'channel must be a channel name' })
  channel?: string;
  @ApiProperty({ required: false })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: 'rule must be a rule name' })
  rule?: string;
  @ApiProperty({ required: false, enum: [...NOTIFICATION_EVENTS, 'test'] })
  @IsOptional()
  @IsIn([...NOTIFICATION_EVENTS, 'test'])
  event?: string;
}
