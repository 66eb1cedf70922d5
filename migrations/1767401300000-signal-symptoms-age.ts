import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * The signals pruner finds each tenant's symptoms past its retentionDays by (tenant_id, at), as
 * it finds samples through idx_signal_samples_age. Without this index only PostgreSQL 18's skip
 * scan of idx_signal_symptoms_kind helped; an older server read every symptom of the tenant.
 */
export class SignalSymptomsAge1767401300000 implements MigrationInterface {
  name = 'SignalSymptomsAge1767401300000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'idx_signal_symptoms_age', `signal_symptoms (tenant_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_signal_symptoms_age`);
  }
}
