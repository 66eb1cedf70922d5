import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Alertmanager intake asks, for a firing alert without an unresolved incident, which incident
 * of its fingerprint monitoring resolved last (a late copy of that firing opens nothing). Only
 * alerts' incidents have a fingerprint; the unique index of the unresolved ones does not hold the
 * resolved ones.
 */
export class IncidentsResolvedFingerprintIndex1767200000000 implements MigrationInterface {
  name = 'IncidentsResolvedFingerprintIndex1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_incidents_resolved_fingerprint ON incidents (tenant_id, fingerprint, resolved_at DESC)
        WHERE fingerprint IS NOT NULL AND status = 'resolved'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_incidents_resolved_fingerprint`);
  }
}
