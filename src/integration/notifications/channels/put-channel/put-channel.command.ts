import { Command } from '@nestjs/cqrs';
import type { ChannelView } from '../channel.view.js';
import type { PutChannelDto } from './put-channel.dto.js';

export interface PutChannelProps {
  tenantId: string;
  name: string;
  channel: PutChannelDto;
  actor: string;
}

export interface PutChannelResult {
  channel: ChannelView;
  created: boolean;
  /**
   * A webhook channel's new signing secret: when it was created, rotated, became a webhook, or its
   * stored one could not be opened (SECRETS_KEY changed). Never shown again.
   */
  secret: string | null;
}

/** Creates or replaces a notification channel; its URL must pass the egress rule. */
export interface PutChannel extends PutChannelProps {}
export class PutChannel extends Command<PutChannelResult> {
  constructor(props: PutChannelProps) {
    super();
    Object.assign(this, props);
  }
}
