import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every status a policy takes, and when (the replica's clock, as for an incident's `created_at`):
 * written with the change, by creation, bridge 3 (draft → active), activation and disable. Loop
 * health counts an incident as a repeat after policy when its pattern's policy was active at the
 * moment it was reported, which the loop's own events cannot say (an admin's activation emits no
 * PolicyGenerated, and nothing of the loop records a disable).
 *
 * Policies stored before this runs get one row, their status now, at the nearest moment known: an
 * active one since the first PolicyGenerated the loop recorded of it as active (else its last
 * update, so no incident before it counts); a draft or disabled one since its creation (when a
 * disabled one was active, and when it was disabled, is not known: none of its incidents counts).
 */
export class PolicyStatusChanges1766960000000 implements MigrationInterface {
  name = 'PolicyStatusChanges1766960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE policy_status_changes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id text NOT NULL,
        policy_id uuid NOT NULL REFERENCES policy_rules (id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('draft', 'active', 'disabled')),
        changed_at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX idx_policy_status_changes_tenant ON policy_status_changes (tenant_id, policy_id, changed_at)`,
    );
    // One pass over the loop's history, not one per policy.
    await q.query(`
      WITH first_active AS (
        SELECT tenant_id, details ->> 'policyId' AS policy_id, min(created_at) AS at FROM loop_events
         WHERE event_type = 'PolicyGenerated' AND details ->> 'status' = 'active' GROUP BY 1, 2)
      INSERT INTO policy_status_changes (tenant_id, policy_id, status, changed_at)
      SELECT p.tenant_id, p.id, p.status,
             CASE WHEN p.status = 'active' THEN coalesce(f.at, p.updated_at) ELSE p.created_at END
        FROM policy_rules p LEFT JOIN first_active f ON f.tenant_id = p.tenant_id AND f.policy_id = p.id::text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE policy_status_changes`);
  }
}
