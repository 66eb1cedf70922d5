import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ChannelRepository } from '../channel.repository.js';
import { channelView, type ChannelView } from '../channel.view.js';
import { ListChannels } from './list-channels.query.js';

@QueryHandler(ListChannels)
export class ListChannelsHandler implements IQueryHandler<ListChannels> {
  constructor(private readonly channels: ChannelRepository) {}

  async execute({ tenantId, name }: ListChannels): Promise<ChannelView[]> {
    if (name === undefined) return (await this.channels.list(tenantId)).map(channelView);
    const row = await this.channels.find(tenantId, name);
    return row ? [channelView(row)] : [];
  }
}
