import { Command } from '@nestjs/cqrs';
import type { InboxItem } from '../inbox-item.view.js';

export interface AssignInboxItemProps {
  tenantId: string;
  itemId: string;
  assignee: string | null;
  actor: string;
}

/** Gives an item that waits to a person (or to nobody), recorded in the audit log; 404 when it does not wait. */
export interface AssignInboxItem extends AssignInboxItemProps {}
export class AssignInboxItem extends Command<InboxItem> {
  constructor(props: AssignInboxItemProps) {
    super();
    Object.assign(this, props);
  }
}
