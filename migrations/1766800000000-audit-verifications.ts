import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each tenant's audit chain was last verified whole on a schedule, and what was found
 * (ADR 0016). A replica claims a tenant by moving `started_at`, so replicas share a round instead
 * of each verifying every chain. Not part of the chain: nothing here is signed or append-only.
 */
export class AuditVerifications1766800000000 implements MigrationInterface {
  name = 'AuditVerifications1766800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_verifications (
        tenant_id text PRIMARY KEY,
        started_at timestamptz(3) NOT NULL,
        finished_at timestamptz(3),
        ok boolean,
        entries bigint,
        first_broken_seq bigint,
        problem text
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_verifications`);
  }
}
