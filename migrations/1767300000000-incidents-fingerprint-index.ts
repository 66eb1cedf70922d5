import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * A fix's verdict asks whether its incident's alert fired again inside the watch window on any
 * incident of that alert, not only its own: once the fixed incident is resolved (by an operator,
 * or by monitoring before the fix was through), the alert's next firing opens a new one. This
 * finds an alert's incidents by fingerprint, whatever their status (the unique index holds only
 * the unresolved one). Built without blocking incidents' writes (createIndexConcurrently).
 */
export class IncidentsFingerprintIndex1767300000000 implements MigrationInterface {
  name = 'IncidentsFingerprintIndex1767300000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      q,
      'idx_incidents_fingerprint',
      `incidents (tenant_id, fingerprint, created_at) WHERE fingerprint IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_incidents_fingerprint`);
  }
}
