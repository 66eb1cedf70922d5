import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Loop-health's escalations resolved without a person counted every incident a run resolved,
 * though a person approved the run or did its steps. The run now says, as it resolves the incident,
 * whether a person had a hand in it (personActedIn): `run_person_acted`, null for an incident no
 * run resolved. The incidents a run resolved before are filled in from their runs, by the same
 * reading; those whose run's history was pruned stay null (not counted as without a person).
 */
export class IncidentsRunPersonActed1767400900000 implements MigrationInterface {
  name = 'IncidentsRunPersonActed1767400900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN run_person_acted boolean`);
    await q.query(`
      UPDATE incidents i SET run_person_acted = NOT r.automatic OR EXISTS (
               SELECT 1 FROM recovery_run_steps s
                WHERE s.run_id = r.id
                  AND ((s.runs_as = 'manual' AND s.started_at IS NOT NULL)
                       OR s.webhook_id ~ '\\.retry-\\d+$'
                       OR (s.status = 'skipped' AND s.error IS NOT NULL)))
        FROM recovery_runs r
       WHERE i.status = 'resolved' AND r.tenant_id = i.tenant_id AND r.incident_id = i.id
         AND i.resolved_by = 'run ' || r.id::text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents DROP COLUMN run_person_acted`);
  }
}
