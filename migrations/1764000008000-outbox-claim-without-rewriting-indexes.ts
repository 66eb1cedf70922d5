import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A claim moves `available_at` (the lease). While the due index contained it, every claim wrote a
 * new version of the row into every index, and left one more dead entry for the next claim's
 * scan to walk through. The due index is now (handler, id) over pending rows, and the claim
 * filters `available_at` on the row itself: a claim changes no indexed column, and with room
 * left on each page (fillfactor 70) PostgreSQL updates the row in place (a HOT update) without
 * touching any index. Rows that are pending but not yet due (leased, or waiting to retry) are
 * few, and filtered out.
 */
export class OutboxClaimWithoutRewritingIndexes1764000008000 implements MigrationInterface {
  name = 'OutboxClaimWithoutRewritingIndexes1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_outbox_pending_by_handler ON outbox_events (handler, id) WHERE status = 'pending'`);
    await q.query(`DROP INDEX idx_outbox_due_by_handler`);
    await q.query(`ALTER TABLE outbox_events SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_events RESET (fillfactor)`);
    await q.query(
      `CREATE INDEX idx_outbox_due_by_handler ON outbox_events (handler, available_at, id) WHERE status = 'pending'`,
    );
    await q.query(`DROP INDEX idx_outbox_pending_by_handler`);
  }
}
