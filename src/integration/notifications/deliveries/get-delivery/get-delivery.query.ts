import { Query } from '@nestjs/cqrs';
import type { DeliveryView } from '../delivery.view.js';

export interface GetDeliveryProps {
  tenantId: string;
  id: string;
}

/** One notification delivery, or null when the tenant has no such delivery. */
export interface GetDelivery extends GetDeliveryProps {}
export class GetDelivery extends Query<DeliveryView | null> {
  constructor(props: GetDeliveryProps) {
    super();
    Object.assign(this, props);
  }
}
