import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';

/** What people added to an item: who has it, and until when it is snoozed. */
export interface InboxMarkRow {
  tenant_id: string;
  item_id: string;
  assignee: string | null;
  snoozed_until: Date | null;
  updated_by: string;
  updated_at: Date;
}

@Injectable()
export class InboxMarksRepository {
  constructor(private readonly tx: TransactionHost) {}

  async of(tenantId: string): Promise<Map<string, InboxMarkRow>> {
    const rows = await this.tx.query<InboxMarkRow>(
      `SELECT * FROM inbox_marks WHERE tenant_id = $1 AND (assignee IS NOT NULL OR snoozed_until > now())`,
      [tenantId],
    );
    return new Map(rows.map((r) => [r.item_id, r]));
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
    const [column, value] =
      'assignee' in change ? ['assignee', change.assignee] : ['snoozed_until', change.snoozedUntil];
    const [row] = await this.tx.query<InboxMarkRow>(
      `UPDATE inbox_marks SET ${column} = $3, updated_by = $4, updated_at = now()
        WHERE tenant_id = $1 AND item_id = $2 RETURNING *`,
      [tenantId, itemId, value, actor],
    );
    return row;
  }
}
