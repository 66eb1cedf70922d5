import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the inbox reads of a tenant's runs, without walking the tenant's run history: the runs
 * paused on a failed step (they wait for their operator) and those the kill switch paused. Both
 * indexes hold only runs in that state, a handful, so they cost nothing to keep up to date.
 * Before, the inbox summary, read up to four times a second while a console streams, scanned
 * every step and every run of the tenant (ADR 0008 §13).
 */
export class InboxRunIndexes1766500000000 implements MigrationInterface {
  name = 'InboxRunIndexes1766500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_recovery_runs_awaiting_operator ON recovery_runs (tenant_id) WHERE status = 'awaiting_operator'`,
    );
    await q.query(
      `CREATE INDEX idx_recovery_runs_paused ON recovery_runs (tenant_id) WHERE paused_reason IS NOT NULL AND finished_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_recovery_runs_paused`);
    await q.query(`DROP INDEX idx_recovery_runs_awaiting_operator`);
  }
}
