import { Query } from '@nestjs/cqrs';
import type { DeliveryPage } from '../delivery.view.js';
import type { ListDeliveriesQuery } from './list-deliveries.dto.js';

export interface ListDeliveriesProps {
  tenantId: string;
  filter: ListDeliveriesQuery;
}

/** A tenant's notification deliveries, newest first, one page. */
export interface ListDeliveries extends ListDeliveriesProps {}
export class ListDeliveries extends Query<DeliveryPage> {
  constructor(props: ListDeliveriesProps) {
    super();
    Object.assign(this, props);
  }
}
