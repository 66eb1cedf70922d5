import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25. A recovery whose incident was resolved before anyone reviewed it is `superseded`
 * (recorded like expiry, not a rejection: nobody decided); recoveries carry their incident's agent
 * and capability, so the review queue and the recoveries list filter on them without a join.
 */
export class ConsoleReviewQueue1766025000000 implements MigrationInterface {
  name = 'ConsoleReviewQueue1766025000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_candidates DROP CONSTRAINT recovery_candidates_status_check,
      ADD CONSTRAINT recovery_candidates_status_check CHECK (status IN ('pending_review', 'applied', 'rejected', 'expired', 'superseded'))`);
    await q.query(`ALTER TABLE recovery_actions DROP CONSTRAINT recovery_actions_action_check,
      ADD CONSTRAINT recovery_actions_action_check CHECK (action IN ('applied', 'rejected', 'expired', 'superseded'))`);
    await q.query(`ALTER TABLE recovery_candidates ADD COLUMN agent_id text, ADD COLUMN capability text`);
    await q.query(`UPDATE recovery_candidates c SET agent_id = i.agent_id, capability = i.capability
                     FROM incidents i WHERE i.id = c.source_incident_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_candidates DROP COLUMN agent_id, DROP COLUMN capability`);
    await q.query(`DELETE FROM recovery_actions WHERE action = 'superseded'`);
    await q.query(
      `UPDATE recovery_candidates SET status = 'pending_review', decided_by = NULL, decided_at = NULL WHERE status = 'superseded'`,
    );
    await q.query(`ALTER TABLE recovery_actions DROP CONSTRAINT recovery_actions_action_check,
      ADD CONSTRAINT recovery_actions_action_check CHECK (action IN ('applied', 'rejected', 'expired'))`);
    await q.query(`ALTER TABLE recovery_candidates DROP CONSTRAINT recovery_candidates_status_check,
      ADD CONSTRAINT recovery_candidates_status_check CHECK (status IN ('pending_review', 'applied', 'rejected', 'expired'))`);
  }
}
