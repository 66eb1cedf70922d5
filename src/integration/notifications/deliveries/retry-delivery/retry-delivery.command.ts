import { Command } from '@nestjs/cqrs';
import type { DeliveryView } from '../delivery.view.js';

export interface RetryDeliveryProps {
  tenantId: string;
  id: string;
  actor: string;
}

/** A dead-lettered delivery back in the queue with fresh attempts (404 when there is none, 409 when it is not dead). */
export interface RetryDelivery extends RetryDeliveryProps {}
export class RetryDelivery extends Command<DeliveryView> {
  constructor(props: RetryDeliveryProps) {
    super();
    Object.assign(this, props);
  }
}
