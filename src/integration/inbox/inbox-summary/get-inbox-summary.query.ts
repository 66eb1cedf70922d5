import { Query } from '@nestjs/cqrs';
import type { InboxSummary } from '../inbox-item.view.js';

export interface GetInboxSummaryProps {
  tenantId: string;
}

/** How many items wait in the tenant's inbox, by kind (the navigation's count). */
export interface GetInboxSummary extends GetInboxSummaryProps {}
export class GetInboxSummary extends Query<InboxSummary> {
  constructor(props: GetInboxSummaryProps) {
    super();
    Object.assign(this, props);
  }
}
