import { Command } from '@nestjs/cqrs';
import type { OutboxDeliveryView } from '../outbox-delivery.view.js';

export interface RetryOutboxDeliveryProps {
  tenantId: string;
  id: string;
  actor: string;
}

/**
 * A dead-lettered outbox delivery back in the queue with fresh attempts, whatever its handler and
 * whether or not its event has an incident (404 when the tenant has no such delivery, 409 when it
 * is not dead or no handler of this build takes it).
 */
export interface RetryOutboxDelivery extends RetryOutboxDeliveryProps {}
export class RetryOutboxDelivery extends Command<OutboxDeliveryView> {
  constructor(props: RetryOutboxDeliveryProps) {
    super();
    Object.assign(this, props);
  }
}
