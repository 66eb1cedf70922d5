import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { invalidFields } from '../../http/validation.js';
import { entryOf, AuditRepository } from '../audit.repository.js';
import { ListAuditEntries, type AuditEntryPage } from './list-audit-entries.query.js';

/** The cursor is the last seq of the page: the log is ordered by seq, which never repeats in a tenant. */
const encodeSeqCursor = (seq: number) => Buffer.from(JSON.stringify({ seq })).toString('base64url');

function decodeSeqCursor(cursor: string | null): number | null {
  if (!cursor) return null;
  try {
    const { seq } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { seq: unknown };
    if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0) return seq;
  } catch {
    // answered below
  }
  throw invalidFields([{ field: 'cursor', errors: ['cursor is not one this API returned'] }]);
}

@QueryHandler(ListAuditEntries)
export class ListAuditEntriesHandler implements IQueryHandler<ListAuditEntries> {
  constructor(private readonly repository: AuditRepository) {}

  async execute({ tenantId, filter, cursor, limit }: ListAuditEntries): Promise<AuditEntryPage> {
    const rows = await this.repository.list(tenantId, filter, decodeSeqCursor(cursor), limit + 1);
    const items = rows.slice(0, limit).map(entryOf);
    return { items, nextCursor: rows.length > limit ? encodeSeqCursor(items[items.length - 1].seq) : null };
  }
}
