import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { invalidFields } from '../../../platform/http/validation.js';
import type { InboxItem } from '../inbox-item.view.js';
import { Inbox } from '../inbox.js';
import { SnoozeInboxItem } from './snooze-inbox-item.command.js';

/** A snooze reaches at most this far ahead: what waits longer is not snoozed but forgotten. */
const MAX_SNOOZE_MS = 90 * 24 * 3_600_000;

@CommandHandler(SnoozeInboxItem)
export class SnoozeInboxItemHandler implements ICommandHandler<SnoozeInboxItem> {
  constructor(private readonly inbox: Inbox) {}

  execute({ tenantId, itemId, until, actor }: SnoozeInboxItem): Promise<InboxItem> {
    // Judged by the database's clock (read with the item, before a 404), as the inbox judges
    // whether a snooze still runs: this host's clock may drift from it.
    const check = (now: Date) => {
      const ms = until?.getTime();
      if (ms !== undefined && (ms <= now.getTime() || ms > now.getTime() + MAX_SNOOZE_MS)) {
        throw invalidFields([
          { field: 'until', errors: ['until must be in the future, at most 90 days ahead (null ends a snooze)'] },
        ]);
      }
    };
    return this.inbox.mark(tenantId, itemId, { snoozedUntil: until }, actor, check);
  }
}
