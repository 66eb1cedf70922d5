import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * Idempotency-Key claims now expire (IDEMPOTENCY_KEY_TTL_HOURS), and IdempotencyKeysPruner
 * deletes the expired ones in batches: this index finds them by age. A B-tree, not a BRIN: the
 * table churns (a day's keys in, a day's out), so new rows land in the pages old ones left, and
 * a BRIN's page ranges would soon each span every age; a key taken over after its TTL also moves
 * its `created_at` to now. New keys' times only grow, so each goes in at the index's right edge.
 * Built without blocking the table's writes (createIndexConcurrently).
 */
export class IdempotencyKeysCreatedIndex1767100000000 implements MigrationInterface {
  name = 'IdempotencyKeysCreatedIndex1767100000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'idx_idempotency_keys_created', `idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_idempotency_keys_created`);
  }
}
