import { Command } from '@nestjs/cqrs';
import type { DeliveryView } from '../../deliveries/delivery.view.js';

export interface TestChannelProps {
  tenantId: string;
  name: string;
  actor: string;
}

/** Queues a test message to a channel (no rule); its delivery tells how it went. */
export interface TestChannel extends TestChannelProps {}
export class TestChannel extends Command<DeliveryView> {
  constructor(props: TestChannelProps) {
    super();
    Object.assign(this, props);
  }
}
