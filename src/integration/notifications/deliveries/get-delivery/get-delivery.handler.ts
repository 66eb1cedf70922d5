import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DeliveryRepository } from '../delivery.repository.js';
import { deliveryView, type DeliveryView } from '../delivery.view.js';
import { GetDelivery } from './get-delivery.query.js';

@QueryHandler(GetDelivery)
export class GetDeliveryHandler implements IQueryHandler<GetDelivery> {
  constructor(private readonly deliveries: DeliveryRepository) {}

  async execute({ tenantId, id }: GetDelivery): Promise<DeliveryView | null> {
    const row = await this.deliveries.find(tenantId, id);
    return row ? deliveryView(row) : null;
  }
}
