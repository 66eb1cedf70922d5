import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * Each resolution settles its incident's failed work orders and armed escalations
 * (IncidentResolvedSettlesWaiting1767401230000): found by incident, not by scanning the tenant's.
 * Built without blocking the tables' writes (createIndexConcurrently): the previous migration built
 * them in its transaction, holding every write to both tables until it committed; a database that
 * ran it that way keeps the indexes it built.
 */
export class UnsettledIncidentIndexes1767401235000 implements MigrationInterface {
  name = 'UnsettledIncidentIndexes1767401235000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      q,
      'idx_work_orders_unsettled_incident',
      `work_orders (tenant_id, incident_id) WHERE incident_id IS NOT NULL AND incident_resolved_at IS NULL`,
    );
    await createIndexConcurrently(
      q,
      'idx_signal_escalations_unsettled_incident',
      `signal_escalations (tenant_id, incident_id) WHERE incident_resolved_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_signal_escalations_unsettled_incident`);
    await q.query(`DROP INDEX IF EXISTS idx_work_orders_unsettled_incident`);
  }
}
