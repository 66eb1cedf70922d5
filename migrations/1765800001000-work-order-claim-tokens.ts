import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A work-order claim is bound to a claim token, not only to an API key (issue 20): workers that
 * share a key cannot report on each other's claims. Each claim keeps the hash of its token;
 * the order points at its current one. A report under an earlier claim's token is recognised
 * (answered 409 naming the order's state, and kept in the history). Claims held when this runs
 * have no token: they can no longer be reported on and return to the queue when their lease lapses.
 */
export class WorkOrderClaimTokens1765800001000 implements MigrationInterface {
  name = 'WorkOrderClaimTokens1765800001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE work_order_claims (
        token_hash text PRIMARY KEY,
        tenant_id text NOT NULL,
        work_order_id uuid NOT NULL REFERENCES work_orders (id) ON DELETE CASCADE,
        key_id uuid NOT NULL,
        claimed_by text NOT NULL,
        claimed_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_work_order_claims_order ON work_order_claims (work_order_id)`);
    await q.query(`ALTER TABLE work_orders ADD COLUMN claim_token_hash text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE work_orders DROP COLUMN claim_token_hash`);
    await q.query(`DROP TABLE work_order_claims`);
  }
}
