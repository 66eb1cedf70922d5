import { Query } from '@nestjs/cqrs';
import type { OutboxDeliveryPage } from '../outbox-delivery.view.js';
import type { ListOutboxDeliveriesQuery } from './list-outbox-deliveries.dto.js';

export interface ListOutboxDeliveriesProps {
  tenantId: string;
  filter: ListOutboxDeliveriesQuery;
}

/** A tenant's outbox deliveries (one event to one handler), newest first, one page. */
export interface ListOutboxDeliveries extends ListOutboxDeliveriesProps {}
export class ListOutboxDeliveries extends Query<OutboxDeliveryPage> {
  constructor(props: ListOutboxDeliveriesProps) {
    super();
    Object.assign(this, props);
  }
}
