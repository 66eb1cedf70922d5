import { Module } from '@nestjs/common';
import { AssignInboxItemHandler } from './assign-item/assign-inbox-item.handler.js';
import { InboxMarksRepository } from './inbox-marks.repository.js';
import { GetInboxSummaryHandler } from './inbox-summary/get-inbox-summary.handler.js';
import { InboxController } from './inbox.controller.js';
import { Inbox } from './inbox.js';
import { ListInboxHandler } from './list-inbox/list-inbox.handler.js';
import { SnoozeInboxItemHandler } from './snooze-item/snooze-inbox-item.handler.js';
import { WaitingItems } from './waiting-items.js';

/** The inbox (DESIGN §12): what waits for a person across the pillars, with assignments and snoozes. */
@Module({
  controllers: [InboxController],
  providers: [
    WaitingItems,
    InboxMarksRepository,
    Inbox,
    ListInboxHandler,
    GetInboxSummaryHandler,
    AssignInboxItemHandler,
    SnoozeInboxItemHandler,
  ],
  exports: [Inbox, WaitingItems],
})
export class InboxModule {}
