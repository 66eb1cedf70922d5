import { Query } from '@nestjs/cqrs';
import type { OutboxDeliveryView } from '../outbox-delivery.view.js';

export interface GetOutboxDeliveryProps {
  tenantId: string;
  id: string;
}

/** One outbox delivery, or null when the tenant has no such delivery. */
export interface GetOutboxDelivery extends GetOutboxDeliveryProps {}
export class GetOutboxDelivery extends Query<OutboxDeliveryView | null> {
  constructor(props: GetOutboxDeliveryProps) {
    super();
    Object.assign(this, props);
  }
}
