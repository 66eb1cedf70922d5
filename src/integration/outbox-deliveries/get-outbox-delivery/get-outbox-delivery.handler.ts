import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { HandlerRegistry } from '../../../platform/outbox/handler-registry.js';
import { OutboxRepository } from '../../../platform/outbox/outbox.repository.js';
import { outboxDeliveryView, type OutboxDeliveryView } from '../outbox-delivery.view.js';
import { GetOutboxDelivery } from './get-outbox-delivery.query.js';

@QueryHandler(GetOutboxDelivery)
export class GetOutboxDeliveryHandler implements IQueryHandler<GetOutboxDelivery> {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly registry: HandlerRegistry,
  ) {}

  async execute({ tenantId, id }: GetOutboxDelivery): Promise<OutboxDeliveryView | null> {
    const row = await this.outbox.findDelivery(tenantId, id);
    return row ? outboxDeliveryView(row, this.registry.handler(row.handler)) : null;
  }
}
