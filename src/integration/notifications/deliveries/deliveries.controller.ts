import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../../platform/auth/principal.js';
import { UuidParam } from '../../../platform/http/uuid-param.js';
import { DeliveryPage, DeliveryView } from './delivery.view.js';
import { GetDelivery } from './get-delivery/get-delivery.query.js';
import { ListDeliveriesQuery } from './list-deliveries/list-deliveries.dto.js';
import { ListDeliveries } from './list-deliveries/list-deliveries.query.js';
import { RetryDelivery } from './retry-delivery/retry-delivery.command.js';

/** Every notification delivery: queued, held, sent, dead-lettered or suppressed. Reads: viewer; retry: operator. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notifications/deliveries')
export class DeliveriesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Notification deliveries, newest first' })
  @ApiOkResponse({ type: DeliveryPage })
  @Get()
  list(@Query() q: ListDeliveriesQuery, @CurrentPrincipal() p: Principal): Promise<DeliveryPage> {
    return this.queries.execute(new ListDeliveries({ tenantId: p.tenantId, filter: q }));
  }

  @ApiOperation({ summary: 'One notification delivery' })
  @ApiOkResponse({ type: DeliveryView })
  @Get(':id')
  async get(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal): Promise<DeliveryView> {
    const delivery = await this.queries.execute(new GetDelivery({ tenantId: p.tenantId, id }));
    if (!delivery) throw new NotFoundException(`notification delivery ${id} not found`);
    return delivery;
  }

  /** A dead letter back in the queue with fresh attempts. */
  @ApiOperation({ summary: 'Retry a dead-lettered delivery' })
  @ApiOkResponse({ type: DeliveryView })
  @ApiConflictResponse({ description: 'it is not dead, or its channel is gone' })
  @Post(':id/retry')
  @HttpCode(200)
  retry(@Param('id', UuidParam) id: string, @CurrentPrincipal() p: Principal): Promise<DeliveryView> {
    return this.commands.execute(new RetryDelivery({ tenantId: p.tenantId, id, actor: actorOf(p) }));
  }
}
