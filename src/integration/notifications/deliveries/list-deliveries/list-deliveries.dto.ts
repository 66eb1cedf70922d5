import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { NAME_PATTERN } from '../../names.js';
import { NOTIFICATION_EVENTS } from '../../notice.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../delivery.view.js';

/** `GET /notifications/deliveries`. */
export class ListDeliveriesQuery {
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
