import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who finished a work order: the role of the API key that completed or failed it (`agent` for a
 * coding agent; an operator or admin is a person doing the patch by hand, as the routes allow).
 * The run that waited on it counts a person's completion as a person acting (loop health's
 * escalations resolved without a person). Null while open, when canceled, and where it is not
 * known. Orders finished before are filled in from the key of their last claim (the claimant is the
 * only one who can complete or fail an order).
 */
export class WorkOrderFinishedByRole1767401250000 implements MigrationInterface {
  name = 'WorkOrderFinishedByRole1767401250000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE work_orders ADD COLUMN finished_by_role text
                     CHECK (finished_by_role IN ('viewer', 'operator', 'admin', 'agent'))`);
    await q.query(`
      UPDATE work_orders w SET finished_by_role = (
        SELECT k.role FROM work_order_claims c JOIN api_keys k ON k.id = c.key_id
         WHERE c.work_order_id = w.id ORDER BY c.claimed_at DESC LIMIT 1)
       WHERE w.status IN ('completed', 'failed')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE work_orders DROP COLUMN finished_by_role`);
  }
}
