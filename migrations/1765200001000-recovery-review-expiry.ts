import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Recoveries left in review past RECOVERY_REVIEW_TTL_MS become `expired` (not rejected: nobody decided). */
export class RecoveryReviewExpiry1765200001000 implements MigrationInterface {
  name = 'RecoveryReviewExpiry1765200001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_candidates DROP CONSTRAINT recovery_candidates_status_check,
      ADD CONSTRAINT recovery_candidates_status_check CHECK (status IN ('pending_review', 'applied', 'rejected', 'expired'))`);
    await q.query(`ALTER TABLE recovery_actions DROP CONSTRAINT recovery_actions_action_check,
      ADD CONSTRAINT recovery_actions_action_check CHECK (action IN ('applied', 'rejected', 'expired'))`);
    // The expiry sweep reads only what waits for review, oldest first.
    await q.query(
      `CREATE INDEX idx_recoveries_pending_review ON recovery_candidates (created_at) WHERE status = 'pending_review'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_recoveries_pending_review`);
    await q.query(`DELETE FROM recovery_actions WHERE action = 'expired'`);
    await q.query(
      `UPDATE recovery_candidates SET status = 'pending_review', decided_by = NULL, decided_at = NULL WHERE status = 'expired'`,
    );
    await q.query(`ALTER TABLE recovery_actions DROP CONSTRAINT recovery_actions_action_check,
      ADD CONSTRAINT recovery_actions_action_check CHECK (action IN ('applied', 'rejected'))`);
    await q.query(`ALTER TABLE recovery_candidates DROP CONSTRAINT recovery_candidates_status_check,
      ADD CONSTRAINT recovery_candidates_status_check CHECK (status IN ('pending_review', 'applied', 'rejected'))`);
  }
}
