import { Query } from '@nestjs/cqrs';
import type { ChannelView } from '../channel.view.js';

export interface ListChannelsProps {
  tenantId: string;
  /** One channel by name (an empty list when there is none). */
  name?: string;
}

/** A tenant's notification channels, by name, without their secrets. */
export interface ListChannels extends ListChannelsProps {}
export class ListChannels extends Query<ChannelView[]> {
  constructor(props: ListChannelsProps) {
    super();
    Object.assign(this, props);
  }
}
