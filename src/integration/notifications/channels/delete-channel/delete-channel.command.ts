import { Command } from '@nestjs/cqrs';

export interface DeleteChannelProps {
  tenantId: string;
  name: string;
  actor: string;
}

/** Deletes a channel no rule sends to (409 naming those that do); its unsent deliveries are dead-lettered. */
export interface DeleteChannel extends DeleteChannelProps {}
export class DeleteChannel extends Command<void> {
  constructor(props: DeleteChannelProps) {
    super();
    Object.assign(this, props);
  }
}
