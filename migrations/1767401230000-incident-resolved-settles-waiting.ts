import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A failed work order and an armed degradation escalation wait on their incident: once it is
 * resolved nothing is left to do about them. The inbox dropped them only among each kind's newest
 * 500 it lists, and counted the rest as waiting however long ago their incident was resolved (a
 * year of failed orders on resolved incidents hid an older one that still waited). Their pillars
 * now record the resolution when `IncidentResolved` reaches them (`incident_resolved_at`), and
 * their waiting queries leave such rows out. Rows whose incident was resolved before are filled in
 * from their incidents.
 */
export class IncidentResolvedSettlesWaiting1767401230000 implements MigrationInterface {
  name = 'IncidentResolvedSettlesWaiting1767401230000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE work_orders ADD COLUMN incident_resolved_at timestamptz(3)`);
    await q.query(`ALTER TABLE signal_escalations ADD COLUMN incident_resolved_at timestamptz(3)`);
    await q.query(`
      UPDATE work_orders w SET incident_resolved_at = i.resolved_at
        FROM incidents i
       WHERE i.tenant_id = w.tenant_id AND i.id = w.incident_id AND i.status = 'resolved'`);
    await q.query(`
      UPDATE signal_escalations e SET incident_resolved_at = i.resolved_at
        FROM incidents i
       WHERE i.tenant_id = e.tenant_id AND i.id = e.incident_id AND i.status = 'resolved'`);
    // The indexes that find an incident's rows are built without blocking writes by the next
    // migration (databases that ran this one before it was split have them already: kept there).
  }

  async down(q: QueryRunner): Promise<void> {
    // Dropped with their column where this migration still built them.
    await q.query(`DROP INDEX IF EXISTS idx_signal_escalations_unsettled_incident`);
    await q.query(`DROP INDEX IF EXISTS idx_work_orders_unsettled_incident`);
    await q.query(`ALTER TABLE signal_escalations DROP COLUMN incident_resolved_at`);
    await q.query(`ALTER TABLE work_orders DROP COLUMN incident_resolved_at`);
  }
}
