import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { pageOf } from '../../../platform/http/cursor.js';
import { HandlerRegistry } from '../../../platform/outbox/handler-registry.js';
import { OutboxRepository } from '../../../platform/outbox/outbox.repository.js';
import { decodeDeliveryCursor, encodeDeliveryCursor } from '../outbox-delivery-id.js';
import { outboxDeliveryView, type OutboxDeliveryPage } from '../outbox-delivery.view.js';
import { ListOutboxDeliveries } from './list-outbox-deliveries.query.js';

@QueryHandler(ListOutboxDeliveries)
export class ListOutboxDeliveriesHandler implements IQueryHandler<ListOutboxDeliveries> {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly registry: HandlerRegistry,
  ) {}

  async execute({ tenantId, filter }: ListOutboxDeliveries): Promise<OutboxDeliveryPage> {
    const limit = filter.limit ?? 50;
    const rows = await this.outbox.listDeliveries(
      tenantId,
      { status: filter.status ?? 'dead', handler: filter.handler },
      decodeDeliveryCursor(filter.cursor),
      limit + 1,
    );
    return pageOf(
      rows,
      limit,
      (r) => outboxDeliveryView(r, this.registry.handler(r.handler)),
      (r) => encodeDeliveryCursor(r.id),
    );
  }
}
