import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Canary and promote, pause and resume, approvals that expire (issue 27, DESIGN §13):
 * - a step of kind `canary` keeps its resolved definition (`canary`: candidates, actions, check,
 *   score, restore SLA) and, between its calls, waits for the next one (`waiting_for = 'next'`);
 *   its candidates' results are its `output`. Canary steps are counted by the canary guardrails.
 * - a run says what a failed step does (`on_failure`: `pause` for an operator, or `rollback`),
 *   fixed when it starts, and who asked for the rollback of a paused run (`rollback_requested_by`);
 * - a recovery awaiting review carries when it expires (`expires_at`; null: RECOVERY_REVIEW_TTL_MS
 *   from its creation, as before).
 */
export class CanaryPauseExpiry1766400000000 implements MigrationInterface {
  name = 'CanaryPauseExpiry1766400000000';

  async up(q: QueryRunner): Promise<void> {
    const kinds = `'webhook', 'manual', 'wait', 'check', 'escalate', 'canary'`;
    await q.query(`
      ALTER TABLE recovery_run_steps
        ADD COLUMN canary jsonb,
        DROP CONSTRAINT recovery_run_steps_kind_check, ADD CONSTRAINT recovery_run_steps_kind_check CHECK (kind IN (${kinds})),
        DROP CONSTRAINT recovery_run_steps_runs_as_check, ADD CONSTRAINT recovery_run_steps_runs_as_check CHECK (runs_as IN (${kinds})),
        DROP CONSTRAINT recovery_run_steps_waiting_for_check,
        ADD CONSTRAINT recovery_run_steps_waiting_for_check CHECK (waiting_for IN ('call', 'result', 'timer', 'operator', 'notify', 'patch', 'next'))`);
    // The canary budget sums the tenant's canary time of the last 24 h.
    await q.query(
      `CREATE INDEX idx_recovery_run_steps_canary ON recovery_run_steps (tenant_id, started_at) WHERE kind = 'canary'`,
    );
    await q.query(`
      ALTER TABLE recovery_runs
        ADD COLUMN on_failure text NOT NULL DEFAULT 'rollback' CHECK (on_failure IN ('pause', 'rollback')),
        ADD COLUMN rollback_requested_by text`);
    await q.query(`ALTER TABLE recovery_candidates ADD COLUMN expires_at timestamptz(3)`);
    await q.query(
      `CREATE INDEX idx_recoveries_review_expires ON recovery_candidates (expires_at) WHERE status = 'pending_review' AND expires_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_recoveries_review_expires`);
    await q.query(`ALTER TABLE recovery_candidates DROP COLUMN expires_at`);
    await q.query(`ALTER TABLE recovery_runs DROP COLUMN rollback_requested_by, DROP COLUMN on_failure`);
    await q.query(`DROP INDEX idx_recovery_run_steps_canary`);
    // Before canaries a step that called an actuator was a webhook; one between two canary calls has a call to make.
    await q.query(`
      UPDATE recovery_run_steps SET kind = CASE kind WHEN 'canary' THEN 'webhook' ELSE kind END,
                                    runs_as = CASE runs_as WHEN 'canary' THEN 'webhook' ELSE runs_as END,
                                    status = CASE WHEN waiting_for = 'next' THEN 'pending' ELSE status END,
                                    waiting_for = CASE WHEN waiting_for = 'next' THEN NULL ELSE waiting_for END
       WHERE kind = 'canary' OR runs_as = 'canary' OR waiting_for = 'next'`);
    const kinds = `'webhook', 'manual', 'wait', 'check', 'escalate'`;
    await q.query(`
      ALTER TABLE recovery_run_steps
        DROP CONSTRAINT recovery_run_steps_waiting_for_check,
        ADD CONSTRAINT recovery_run_steps_waiting_for_check CHECK (waiting_for IN ('call', 'result', 'timer', 'operator', 'notify', 'patch')),
        DROP CONSTRAINT recovery_run_steps_runs_as_check, ADD CONSTRAINT recovery_run_steps_runs_as_check CHECK (runs_as IN (${kinds})),
        DROP CONSTRAINT recovery_run_steps_kind_check, ADD CONSTRAINT recovery_run_steps_kind_check CHECK (kind IN (${kinds})),
        DROP COLUMN canary`);
  }
}
