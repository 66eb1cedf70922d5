import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { InboxItem } from '../inbox-item.view.js';
import { Inbox } from '../inbox.js';
import { AssignInboxItem } from './assign-inbox-item.command.js';

@CommandHandler(AssignInboxItem)
export class AssignInboxItemHandler implements ICommandHandler<AssignInboxItem> {
  constructor(private readonly inbox: Inbox) {}

  execute({ tenantId, itemId, assignee, actor }: AssignInboxItem): Promise<InboxItem> {
    return this.inbox.mark(tenantId, itemId, { assignee }, actor);
  }
}
