import { Command } from '@nestjs/cqrs';
import type { InboxItem } from '../inbox-item.view.js';

export interface SnoozeInboxItemProps {
  tenantId: string;
  itemId: string;
  /** null: ends the snooze. */
  until: Date | null;
  actor: string;
}

/** Hides an item that waits until a time, recorded in the audit log; 404 when it does not wait. */
export interface SnoozeInboxItem extends SnoozeInboxItemProps {}
export class SnoozeInboxItem extends Command<InboxItem> {
  constructor(props: SnoozeInboxItemProps) {
    super();
    Object.assign(this, props);
  }
}
