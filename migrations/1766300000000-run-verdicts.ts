import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Verdicts you can trust (issue 22, ADR 0014):
 * - a run's verdict (`succeeded` | `failed`) and its time, stored when it is reached, apart from
 *   the status: a failed run's rollback may wait for an operator (`awaiting_operator`) and still
 *   be a failure; the learning rule reads verdicts per (pattern, playbook) by time;
 * - `verify_from`: when the run's steps were through, the start of its recurrence window, so
 *   evidence is judged by when it occurred; `await_resolution`: the run waits for monitoring to
 *   resolve its incident; `recurrence_reason`: what the recurrence was (a new incident, a re-fired
 *   alert);
 * - `interrupted_calls` per step: a call whose answer was lost to a crash is repeated without
 *   counting an attempt, a bounded number of times;
 * - `decision` per recovery: why it was auto-applied or held, with the evidence; reviewers'
 *   decisions are indexed per (pattern, playbook) for the learning rule.
 * "Active" runs (one active run per agent and capability, the incident's mitigation) are the ones
 * still trying to fix: steps, checks and the watch, not a rollback.
 */
export class RunVerdicts1766300000000 implements MigrationInterface {
  name = 'RunVerdicts1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE recovery_runs
        ADD COLUMN verdict text CHECK (verdict IN ('succeeded', 'failed')),
        ADD COLUMN verdict_at timestamptz(3),
        ADD COLUMN verify_from timestamptz(3),
        ADD COLUMN await_resolution boolean NOT NULL DEFAULT false,
        ADD COLUMN recurrence_reason text`);
    await q.query(`
      UPDATE recovery_runs SET verdict = CASE WHEN status = 'succeeded' THEN 'succeeded' ELSE 'failed' END,
                               verdict_at = coalesce(finished_at, updated_at)
       WHERE status IN ('succeeded', 'failed', 'rolled_back', 'rollback_failed')`);
    await q.query(
      `CREATE INDEX idx_recovery_runs_verdicts ON recovery_runs (tenant_id, pattern_id, playbook_id, verdict_at DESC) WHERE verdict IS NOT NULL`,
    );
    await q.query(`DROP INDEX idx_recovery_runs_active`);
    await q.query(
      `CREATE INDEX idx_recovery_runs_active ON recovery_runs (tenant_id, agent_id, capability) WHERE phase IN ('steps', 'verify', 'watch')`,
    );
    await q.query(`ALTER TABLE recovery_run_steps ADD COLUMN interrupted_calls int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE recovery_candidates ADD COLUMN decision jsonb`);
    // Reviewers' decisions are the learning rule's weak evidence, read per (pattern, playbook).
    await q.query(`CREATE INDEX idx_recoveries_reviewed ON recovery_candidates (tenant_id, source_pattern_id, playbook_id, decided_at DESC)
                    WHERE status IN ('applied', 'rejected') AND decided_by <> 'auto-apply'`);
    // The end of a watch reads the incidents of the run's agent and capability inside its window.
    await q.query(
      `CREATE INDEX idx_incidents_agent_occurred ON incidents (tenant_id, agent_id, capability, occurred_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_incidents_agent_occurred`);
    await q.query(`DROP INDEX idx_recoveries_reviewed`);
    await q.query(`ALTER TABLE recovery_candidates DROP COLUMN decision`);
    await q.query(`ALTER TABLE recovery_run_steps DROP COLUMN interrupted_calls`);
    await q.query(`DROP INDEX idx_recovery_runs_active`);
    await q.query(
      `CREATE INDEX idx_recovery_runs_active ON recovery_runs (tenant_id, agent_id, capability) WHERE finished_at IS NULL`,
    );
    await q.query(`DROP INDEX idx_recovery_runs_verdicts`);
    await q.query(`
      ALTER TABLE recovery_runs
        DROP COLUMN verdict, DROP COLUMN verdict_at, DROP COLUMN verify_from, DROP COLUMN await_resolution, DROP COLUMN recurrence_reason`);
  }
}
