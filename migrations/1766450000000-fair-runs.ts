import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runs that are fair between tenants and cheap (issue 24, ADR 0008 §12–13):
 * - the engine claims due runs tenant by tenant (a tenant's runs under way first, then by due
 *   time): one index walks the tenants with work due and each tenant's runs in that order;
 * - a new incident looks for runs of its pattern on its agent that are watching for a recurrence:
 *   a partial index holds only those, so the look-up no longer walks the pattern's whole history.
 */
export class FairRuns1766450000000 implements MigrationInterface {
  name = 'FairRuns1766450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_recovery_runs_due_by_tenant ON recovery_runs (tenant_id, (status = 'queued'), due_at) WHERE due_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX idx_recovery_runs_watching ON recovery_runs (tenant_id, pattern_id, agent_id)
        WHERE phase IN ('verify', 'watch') AND recurrence_incident_id IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_recovery_runs_watching`);
    await q.query(`DROP INDEX idx_recovery_runs_due_by_tenant`);
  }
}
