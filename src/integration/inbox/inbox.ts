import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { NotifyBatcher } from '../../platform/database/notify-batcher.js';
import { inOneSnapshot } from '../../platform/database/one-snapshot.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { INBOX_KINDS, kindOfItemId, type InboxItem, type InboxKind, type InboxSummary } from './inbox-item.view.js';
import { withMarks } from './inbox-items.js';
import { InboxMarksRepository, type InboxMarkRow } from './inbox-marks.repository.js';
import { WaitingItems } from './waiting-items.js';

/** NOTIFY channel on which a tenant id says "this tenant's inbox may have changed". */
export const INBOX_CHANNEL = 'inbox_changes';

/** The inbox of a tenant: what waits, with what people added to it. */
@Injectable()
export class Inbox {
  constructor(
    private readonly waiting: WaitingItems,
    private readonly marks: InboxMarksRepository,
    private readonly notifier: NotifyBatcher,
    private readonly tx: TransactionHost,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Every item of `kinds`, snoozed ones included, and how many more of each kind wait unlisted;
   * `now`: the database's clock the snoozes were judged by (read with the marks).
   */
  async items(
    tenantId: string,
    kinds: readonly InboxKind[] = INBOX_KINDS,
  ): Promise<{ items: InboxItem[]; unlisted: Record<InboxKind, number>; now: Date }> {
    const [{ items, unlisted }, { marks, now }] = await Promise.all([
      this.waiting.of(tenantId, kinds),
      this.marks.of(tenantId),
    ]);
    return { items: items.map((i) => withMarks(i, marks.get(i.id), now)), unlisted, now };
  }

  /**
   * Gives an item that waits to someone, or snoozes it, with its audit entry, in one transaction;
   * 404 when the item does not wait (any more). Live streams hear of it after commit. `check`
   * sees the change first, with the database's clock the item was read at (a snooze's bounds);
   * what it throws is thrown before any 404.
   */
  async mark(
    tenantId: string,
    itemId: string,
    change: { assignee: string | null } | { snoozedUntil: Date | null },
    actor: string,
    check: (now: Date) => void = () => undefined,
  ): Promise<InboxItem> {
    // The item itself, by its subject, not looked for among the newest its kind lists: an item past
    // them (a guardrail storm's oldest hold) is assigned and snoozed like any. An id of no kind:
    // nothing waits by it, but the marks (and the clock) are read for the check all the same.
    const [found, read] = await Promise.all([this.waiting.one(tenantId, itemId), this.marks.of(tenantId)]);
    check(read.now);
    if (!found) throw new NotFoundException(`inbox item ${itemId} not found: nothing by that id waits`);
    return this.tx.run(async () => {
      const before = await this.marks.lock(tenantId, itemId, actor);
      const after = await this.marks.set(tenantId, itemId, change, actor);
      const assigning = 'assignee' in change;
      const shown = (m: InboxMarkRow) =>
        assigning ? { assignee: m.assignee } : { snoozedUntil: m.snoozed_until?.toISOString() ?? null };
      await this.audit.record({
        tenantId,
        actor,
        action: assigning ? 'inbox_item.assigned' : 'inbox_item.snoozed',
        subject: { type: 'inbox_item', id: itemId },
        before: shown(before),
        after: shown(after),
        reason: found.title,
      });
      this.changed(tenantId);
      return withMarks(found, after, read.now);
    });
  }

  /**
   * How many items wait, by kind, and how many of them are snoozed, however many wait: what a kind
   * does not list is counted as waiting, unless a snooze hides it. Those are found from the snoozes
   * (few) of items not listed, asked of their pillars by id (`WaitingItems.among`), and only for
   * the kinds that leave some unlisted: none of it when every kind lists all it has. One snapshot.
   */
  summary(tenantId: string): Promise<InboxSummary> {
    return inOneSnapshot(this.tx, async () => {
      const [{ items, unlisted }, { marks, now }] = await Promise.all([
        this.waiting.of(tenantId),
        this.marks.of(tenantId),
      ]);
      const byKind = { ...unlisted };
      let snoozed = 0;
      const listed = new Set<string>();
      for (const item of items.map((i) => withMarks(i, marks.get(i.id), now))) {
        listed.add(item.id);
        if (item.snoozedUntil) snoozed++;
        else byKind[item.kind]++;
      }
      const hidden = [...marks.values()].filter((m) => {
        const kind = kindOfItemId(m.item_id);
        return m.snoozed_until && m.snoozed_until > now && kind && unlisted[kind] > 0 && !listed.has(m.item_id);
      });
      if (hidden.length > 0)
        for (const item of await this.waiting.among(
          tenantId,
          hidden.map((m) => m.item_id),
        )) {
          if (!withMarks(item, marks.get(item.id), now).snoozedUntil) continue;
          snoozed++;
          byKind[item.kind] = Math.max(0, byKind[item.kind] - 1);
        }
      return { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind, snoozed };
    });
  }

  /** Tells every replica's live streams, once the current transaction commits, that the tenant's inbox moved. */
  changed(tenantId: string): void {
    this.notifier.notifyAfterCommit(INBOX_CHANNEL, tenantId);
  }
}
