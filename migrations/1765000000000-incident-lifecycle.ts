import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The incident lifecycle: open → mitigating (a recovery run is active) → resolved, with an
 * operator's acknowledgement beside it. Existing incidents start open.
 */
export class IncidentLifecycle1765000000000 implements MigrationInterface {
  name = 'IncidentLifecycle1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE incidents
        ADD COLUMN status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'mitigating', 'resolved')),
        ADD COLUMN acknowledged_at timestamptz(3),
        ADD COLUMN acknowledged_by text,
        ADD COLUMN resolved_at timestamptz(3),
        ADD COLUMN resolved_by text`);
    await q.query(
      `CREATE INDEX idx_incidents_tenant_status ON incidents (tenant_id, status, created_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_incidents_tenant_status`);
    await q.query(
      `ALTER TABLE incidents DROP COLUMN status, DROP COLUMN acknowledged_at, DROP COLUMN acknowledged_by, DROP COLUMN resolved_at, DROP COLUMN resolved_by`,
    );
  }
}
