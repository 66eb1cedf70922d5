import { Query } from '@nestjs/cqrs';
import type { InboxPage } from '../inbox-item.view.js';
import type { ListInboxQuery } from './list-inbox.dto.js';

export interface ListInboxProps {
  tenantId: string;
  filter: ListInboxQuery;
}

/** One page of a tenant's inbox: the most urgent first, then the longest waiting. */
export interface ListInbox extends ListInboxProps {}
export class ListInbox extends Query<InboxPage> {
  constructor(props: ListInboxProps) {
    super();
    Object.assign(this, props);
  }
}
