import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * The daily run-time budget (`dailyAutomaticRunBudgetMs`) sums the time of a tenant's automatic
 * runs within the last 24 hours: those unfinished, and those finished within them, however long
 * ago they began (a run may watch, or wait in its rollback, well past RECOVERY_RUN_TIMEOUT_MS).
 * Found through this index rather than through the tenant's whole history.
 */
export class AutomaticRunTime1767401290000 implements MigrationInterface {
  name = 'AutomaticRunTime1767401290000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      q,
      'idx_recovery_runs_automatic_finished',
      `recovery_runs (tenant_id, finished_at) WHERE automatic`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_recovery_runs_automatic_finished`);
  }
}
