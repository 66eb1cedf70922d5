import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When monitoring resolves an alert's incident, the resolved alert's `endsAt` (monitoring's own
 * clock) is kept: a firing of that alert that started before it is older news than the resolution
 * (a late copy from the other member of an Alertmanager HA pair, a retried notification), which
 * the intake looks up by fingerprint among the incidents monitoring resolved last.
 */
export class IncidentsAlertEndedAt1767200000000 implements MigrationInterface {
  name = 'IncidentsAlertEndedAt1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN alert_ended_at timestamptz(3)`);
    await q.query(
      `CREATE INDEX idx_incidents_monitoring_resolved ON incidents (tenant_id, fingerprint, resolved_at DESC)
        WHERE fingerprint IS NOT NULL AND status = 'resolved' AND resolved_by = 'monitoring'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_incidents_monitoring_resolved`);
    await q.query(`ALTER TABLE incidents DROP COLUMN alert_ended_at`);
  }
}
