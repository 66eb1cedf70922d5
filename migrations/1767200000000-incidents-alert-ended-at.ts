import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * When monitoring resolves an alert's incident, the resolved alert's `endsAt` (monitoring's own
 * clock) is kept: a firing of that alert that started before it is older news than the resolution
 * (a late copy from the other member of an Alertmanager HA pair, a retried notification), which
 * the intake looks up by fingerprint among the incidents monitoring resolved last. The index is
 * built without blocking incidents' writes (createIndexConcurrently), so each step runs again.
 */
export class IncidentsAlertEndedAt1767200000000 implements MigrationInterface {
  name = 'IncidentsAlertEndedAt1767200000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN IF NOT EXISTS alert_ended_at timestamptz(3)`);
    await createIndexConcurrently(
      q,
      'idx_incidents_monitoring_resolved',
      `incidents (tenant_id, fingerprint, resolved_at DESC)
        WHERE fingerprint IS NOT NULL AND status = 'resolved' AND resolved_by = 'monitoring'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_incidents_monitoring_resolved`);
    await q.query(`ALTER TABLE incidents DROP COLUMN alert_ended_at`);
  }
}
