import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.decorators.js';
import { actorOf, type Principal } from '../../platform/auth/principal.js';
import { GetOutboxDelivery } from './get-outbox-delivery/get-outbox-delivery.query.js';
import { ListOutboxDeliveriesQuery } from './list-outbox-deliveries/list-outbox-deliveries.dto.js';
import { ListOutboxDeliveries } from './list-outbox-deliveries/list-outbox-deliveries.query.js';
import { ParseOutboxDeliveryIdPipe } from './outbox-delivery-id.js';
import { OutboxDeliveryPage, OutboxDeliveryView } from './outbox-delivery.view.js';
import { RetryOutboxDelivery } from './retry-outbox-delivery/retry-outbox-delivery.command.js';

const ID = { name: 'id', description: 'an outbox delivery id (a positive integer)', example: '1042' };

/**
 * The outbox's deliveries (one event to one handler) of the caller's tenant: every dead letter,
 * with or without an incident, whatever its handler, and its retry. Reads: viewer; retry: operator
 * (as `POST /integration/loop/:incidentId/retry/:stage`).
 */
@ApiTags('integration')
@ApiBearerAuth()
@Controller('integration/outbox/deliveries')
export class OutboxDeliveriesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @ApiOperation({ summary: 'Outbox deliveries, newest first (`?status=dead`: the dead letters)' })
  @ApiOkResponse({ type: OutboxDeliveryPage })
  @Get()
  list(@Query() q: ListOutboxDeliveriesQuery, @CurrentPrincipal() p: Principal): Promise<OutboxDeliveryPage> {
    return this.queries.execute(new ListOutboxDeliveries({ tenantId: p.tenantId, filter: q }));
  }

  @ApiOperation({ summary: 'One outbox delivery' })
  @ApiParam(ID)
  @ApiOkResponse({ type: OutboxDeliveryView })
  @ApiNotFoundResponse({ description: 'the tenant has no such delivery' })
  @Get(':id')
  async get(
    @Param('id', new ParseOutboxDeliveryIdPipe()) id: string,
    @CurrentPrincipal() p: Principal,
  ): Promise<OutboxDeliveryView> {
    const delivery = await this.queries.execute(new GetOutboxDelivery({ tenantId: p.tenantId, id }));
    if (!delivery) throw new NotFoundException(`outbox delivery ${id} not found`);
    return delivery;
  }

  /** A dead letter back in the queue with fresh attempts, due now. */
  @ApiOperation({ summary: 'Retry a dead-lettered outbox delivery' })
  @ApiParam(ID)
  @ApiOkResponse({ type: OutboxDeliveryView, description: 'the delivery, pending again' })
  @ApiBadRequestResponse({ description: 'the id is not a delivery id' })
  @ApiNotFoundResponse({ description: 'the tenant has no such delivery' })
  @ApiConflictResponse({ description: 'it is not dead, or no handler of this build takes it' })
  @Post(':id/retry')
  @HttpCode(200)
  retry(
    @Param('id', new ParseOutboxDeliveryIdPipe()) id: string,
    @CurrentPrincipal() p: Principal,
  ): Promise<OutboxDeliveryView> {
    return this.commands.execute(new RetryOutboxDelivery({ tenantId: p.tenantId, id, actor: actorOf(p) }));
  }
}
