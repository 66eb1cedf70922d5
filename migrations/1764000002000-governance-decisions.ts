import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Policy decisions: an evaluation records whether the kill switch decided it (a `block` with
 * no matching policy is otherwise ambiguous), and evaluations are listed newest first with
 * keyset pagination on (created_at, id), so the time index carries the id too.
 */
export class GovernanceDecisions1764000002000 implements MigrationInterface {
  name = 'GovernanceDecisions1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE policy_evaluations ADD COLUMN kill_switch boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX idx_evaluations_tenant_time_id ON policy_evaluations (tenant_id, created_at DESC, id DESC)`,
    );
    await q.query(`DROP INDEX idx_evaluations_tenant_time`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_evaluations_tenant_time ON policy_evaluations (tenant_id, created_at DESC)`);
    await q.query(`DROP INDEX idx_evaluations_tenant_time_id`);
    await q.query(`ALTER TABLE policy_evaluations DROP COLUMN kill_switch`);
  }
}
