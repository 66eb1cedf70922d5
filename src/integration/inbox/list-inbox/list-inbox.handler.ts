import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { invalidFields, isCalendarDate } from '../../../platform/http/validation.js';
import { SEVERITIES, severityRank } from '../../severities.js';
import { INBOX_KINDS, kindOfItemId, type InboxItem, type InboxPage } from '../inbox-item.view.js';
import { Inbox } from '../inbox.js';
import { ListInbox } from './list-inbox.query.js';

/** Where a page ends: the last item's priority, age and id. */
interface InboxCursor {
  p: number;
  at: string;
  id: string;
}

const positionOf = (i: InboxItem): InboxCursor => ({ p: severityRank(i.priority), at: i.createdAt, id: i.id });

/** Most urgent first; equally urgent, the longest waiting first; then by id, so the order is total. */
const compare = (a: InboxCursor, b: InboxCursor): number =>
  b.p - a.p || a.at.localeCompare(b.at) || a.id.localeCompare(b.id);

@QueryHandler(ListInbox)
export class ListInboxHandler implements IQueryHandler<ListInbox> {
  constructor(private readonly inbox: Inbox) {}

  async execute({ tenantId, filter }: ListInbox): Promise<InboxPage> {
    const cursor = decode(filter.cursor);
    const limit = filter.limit ?? 50;
    const snoozed = filter.snoozed ?? 'exclude';
    const { items } = await this.inbox.items(tenantId, filter.kind ? [filter.kind] : INBOX_KINDS);
    const chosen = items
      .filter((i) => (snoozed === 'include' ? true : (i.snoozedUntil !== null) === (snoozed === 'only')))
      .filter(
        (i) => filter.assignee === undefined || i.assignee === (filter.assignee === 'none' ? null : filter.assignee),
      )
      .filter((i) => cursor === null || compare(positionOf(i), cursor) > 0)
      .sort((a, b) => compare(positionOf(a), positionOf(b)));
    const page = chosen.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: chosen.length > limit && last ? encode(positionOf(last)) : null };
  }
}

const encode = (c: InboxCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decode(cursor: string | undefined): InboxCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as InboxCursor;
    if (
      Number.isInteger(c.p) &&
      SEVERITIES[c.p] !== undefined &&
      isCalendarDate(c.at) &&
      typeof c.id === 'string' &&
      kindOfItemId(c.id)
    )
      return c;
  } catch {
    // not one of ours: the 400 below
  }
  throw invalidFields([{ field: 'cursor', errors: ['cursor is not one this API returned'] }]);
}
