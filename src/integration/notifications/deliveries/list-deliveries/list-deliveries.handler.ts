import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, encodeCursor, pageOf } from '../../../../platform/http/cursor.js';
import { DeliveryRepository } from '../delivery.repository.js';
import { deliveryView, type DeliveryPage } from '../delivery.view.js';
import { ListDeliveries } from './list-deliveries.query.js';

@QueryHandler(ListDeliveries)
export class ListDeliveriesHandler implements IQueryHandler<ListDeliveries> {
  constructor(private readonly deliveries: DeliveryRepository) {}

  async execute({ tenantId, filter }: ListDeliveries): Promise<DeliveryPage> {
    const limit = filter.limit ?? 50;
    const { status, channel, rule, event } = filter;
    const rows = await this.deliveries.list(
      tenantId,
      { status, channel, rule, event },
      decodeCursor(filter.cursor),
      limit + 1,
    );
    return pageOf(rows, limit, deliveryView, (r) => encodeCursor(r.created_at, r.id));
  }
}
