import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox (DESIGN §12, issue 26): its items are computed from what waits (reviews, manual
 * steps, holds, work orders, drafts, escalations); what people add to them, an assignee and a
 * snooze, is kept here by item id. A recovery held by a guardrail now says which one (`held_by`),
 * so the inbox can tell a guardrail hold from a plain review.
 */
export class Inbox1766200001000 implements MigrationInterface {
  name = 'Inbox1766200001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbox_marks (
        tenant_id text NOT NULL,
        item_id text NOT NULL,
        assignee text,
        snoozed_until timestamptz(3),
        updated_by text NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, item_id)
      )`);
    await q.query(`ALTER TABLE recovery_candidates ADD COLUMN held_by text`);
    // What the inbox reads per tenant: steps waiting for an operator, work orders by state.
    await q.query(
      `CREATE INDEX idx_recovery_run_steps_awaiting ON recovery_run_steps (tenant_id)
        WHERE status = 'awaiting_operator'`,
    );
    await q.query(`CREATE INDEX idx_work_orders_tenant_status ON work_orders (tenant_id, status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_work_orders_tenant_status`);
    await q.query(`DROP INDEX idx_recovery_run_steps_awaiting`);
    await q.query(`ALTER TABLE recovery_candidates DROP COLUMN held_by`);
    await q.query(`DROP TABLE inbox_marks`);
  }
}
