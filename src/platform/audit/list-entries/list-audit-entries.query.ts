import { Query } from '@nestjs/cqrs';
import type { AuditFilter } from '../audit.repository.js';
import type { AuditEntry } from '../chain/audit-chain.js';

export interface AuditEntryPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

export interface ListAuditEntriesProps {
  tenantId: string;
  filter: AuditFilter;
  cursor: string | null;
  limit: number;
}
export interface ListAuditEntries extends ListAuditEntriesProps {}
/** A page of the tenant's audit log, newest first. */
export class ListAuditEntries extends Query<AuditEntryPage> {
  constructor(props: ListAuditEntriesProps) {
    super();
    Object.assign(this, props);
  }
}
