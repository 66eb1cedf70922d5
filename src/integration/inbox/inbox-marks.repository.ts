import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';

/** What people added to an item: who has it, and until when it is snoozed. */
export interface InboxMarkRow {
  tenant_id: string;
  item_id: string;
  assignee: string | null;
  snoozed_until: Date | null;
  /** When the snooze was set: it hides only the waiting that had begun by then. */
  snoozed_at: Date | null;
  updated_by: string;
  updated_at: Date;
}

@Injectable()
export class InboxMarksRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * The tenant's marks that still mean something (an assignee, a snooze still running), by item id,
   * and the database's clock they were read at (`now`): what a snooze is judged by, here and
   * wherever it is shown, whatever this host's clock says (one row even without marks).
   */
  async of(tenantId: string): Promise<{ marks: Map<string, InboxMarkRow>; now: Date }> {
    const rows = await this.tx.query<InboxMarkRow & { read_at: Date }>(
      `SELECT c.read_at, m.* FROM (SELECT now() AS read_at) c
         LEFT JOIN inbox_marks m ON m.tenant_id = $1 AND (m.assignee IS NOT NULL OR m.snoozed_until > c.read_at)`,
      [tenantId],
    );
    const marks = rows.filter((r) => r.item_id !== null).map(({ read_at: _at, ...mark }) => mark);
    return { marks: new Map(marks.map((r) => [r.item_id, r])), now: rows[0].read_at };
  }

  /** Locks the item's marks (creating them) so changes to one item queue; the row before the change. */
  async lock(tenantId: string, itemId: string, actor: string): Promise<InboxMarkRow> {
    await this.tx.query(
      `INSERT INTO inbox_marks (tenant_id, item_id, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, item_id) DO NOTHING`,
      [tenantId, itemId, actor],
    );
    const [row] = await this.tx.query<InboxMarkRow>(
      `SELECT * FROM inbox_marks WHERE tenant_id = $1 AND item_id = $2 FOR UPDATE`,
      [tenantId, itemId],
    );
    return row;
  }

  async set(
    tenantId: string,
    itemId: string,
    change: { assignee: string | null } | { snoozedUntil: Date | null },
    actor: string,
  ): Promise<InboxMarkRow> {
    const set =
      'assignee' in change
        ? 'assignee = $3'
        : 'snoozed_until = $3, snoozed_at = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE now() END';
    const value = 'assignee' in change ? change.assignee : change.snoozedUntil;
    const [row] = await this.tx.query<InboxMarkRow>(
      `UPDATE inbox_marks SET ${set}, updated_by = $4, updated_at = now()
        WHERE tenant_id = $1 AND item_id = $2 RETURNING *`,
      [tenantId, itemId, value, actor],
    );
    return row;
  }
}
