import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { InboxSummary } from '../inbox-item.view.js';
import { Inbox } from '../inbox.js';
import { GetInboxSummary } from './get-inbox-summary.query.js';

@QueryHandler(GetInboxSummary)
export class GetInboxSummaryHandler implements IQueryHandler<GetInboxSummary> {
  constructor(private readonly inbox: Inbox) {}

  execute({ tenantId }: GetInboxSummary): Promise<InboxSummary> {
    return this.inbox.summary(tenantId);
  }
}
