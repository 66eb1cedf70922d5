import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import type { NotificationEvent } from '../notice.js';
import type { QuietHours, RuleRow } from './rule.view.js';

export interface RuleFields {
  tenantId: string;
  name: string;
  channel: string;
  events: NotificationEvent[];
  minSeverity: string;
  agents: string[] | null;
  capabilities: string[] | null;
  quietHours: QuietHours | null;
  repeatIntervalMs: number;
  afterMs: number | null;
}

@Injectable()
export class RuleRepository {
  constructor(private readonly tx: TransactionHost) {}

  list(tenantId: string): Promise<RuleRow[]> {
    return this.tx.query<RuleRow>(`SELECT * FROM notification_rules WHERE tenant_id = $1 ORDER BY name`, [tenantId]);
  }

  async find(tenantId: string, name: string): Promise<RuleRow | null> {
    const [row] = await this.tx.query<RuleRow>(`SELECT * FROM notification_rules WHERE tenant_id = $1 AND name = $2`, [
      tenantId,
      name,
    ]);
    return row ?? null;
  }

  /** The tenant's rules that subscribe to `event`. */
  forEvent(tenantId: string, event: NotificationEvent): Promise<RuleRow[]> {
    // Share-locked to the caller's end: a PUT or DELETE of one waits for the messages routed by it
    // to commit, and then follows them (ADR 0017); one that committed first is read as it is now.
    return this.tx.query<RuleRow>(
      `SELECT * FROM notification_rules WHERE tenant_id = $1 AND $2 = ANY(events) ORDER BY name FOR SHARE`,
      [tenantId, event],
    );
  }

  /** Every tenant's rules that subscribe to `event` (review.waiting is looked for across tenants). */
  everyForEvent(event: NotificationEvent): Promise<RuleRow[]> {
    return this.tx.query<RuleRow>(`SELECT * FROM notification_rules WHERE $1 = ANY(events) ORDER BY tenant_id, name`, [
      event,
    ]);
  }

  /** The names of the rules that send to `channel`. */
  async namesUsing(tenantId: string, channel: string): Promise<string[]> {
    const rows = await this.tx.query<{ name: string }>(
      `SELECT name FROM notification_rules WHERE tenant_id = $1 AND channel = $2 ORDER BY name`,
      [tenantId, channel],
    );
    return rows.map((r) => r.name);
  }

  async upsert(r: RuleFields): Promise<{ row: RuleRow; created: boolean }> {
    const [row] = await this.tx.query<RuleRow & { created: boolean }>(
      `INSERT INTO notification_rules
         (tenant_id, name, channel, events, min_severity, agents, capabilities, quiet_hours,
          repeat_interval_ms, after_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
       ON CONFLICT (tenant_id, name) DO UPDATE
         SET channel = EXCLUDED.channel, events = EXCLUDED.events, min_severity = EXCLUDED.min_severity,
             agents = EXCLUDED.agents, capabilities = EXCLUDED.capabilities, quiet_hours = EXCLUDED.quiet_hours,
             repeat_interval_ms = EXCLUDED.repeat_interval_ms, after_ms = EXCLUDED.after_ms, updated_at = now()
       RETURNING *, (xmax = 0) AS created`,
      [
        r.tenantId,
        r.name,
        r.channel,
        r.events,
        r.minSeverity,
        r.agents,
        r.capabilities,
        r.quietHours === null ? null : JSON.stringify(r.quietHours),
        r.repeatIntervalMs,
        r.afterMs,
      ],
    );
    const { created, ...rest } = row;
    return { row: rest, created };
  }

  /** The deleted rule, or null when there was none. */
  async delete(tenantId: string, name: string): Promise<RuleRow | null> {
    const [row] = await this.tx.query<RuleRow>(
      `DELETE FROM notification_rules WHERE tenant_id = $1 AND name = $2 RETURNING *`,
      [tenantId, name],
    );
    return row ?? null;
  }
}
