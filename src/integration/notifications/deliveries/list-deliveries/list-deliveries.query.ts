import { Query } from '@nestjs/cqrs';
import type { DeliveryView } from '../delivery.view.js';
import type { ListDeliveriesQuery } from './list-deliveries.dto.js';

export interface ListDeliveriesProps {
  tenantId: string;
  filter: ListDeliveriesQuery;
}

/** A tenant's notification deliveries, newest first, one page. */
export interface ListDeliveries extends ListDeliveriesProps {}
export class ListDeliveries extends Query<{ items: DeliveryView[]; nextCursor: string | null }> {
  constructor(props: ListDeliveriesProps) {
    super();
    Object.assign(this, props);
  }
}
