import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * The notification prune (DeliveryPruner) finds what it deletes through these, a batch at a time,
 * instead of reading both tables whole: finished deliveries by when they last changed (a partial
 * index: a delivery enters it once, when it is sent, dead-lettered or suppressed), and repeat
 * marks by when they were last set. Built without blocking the tables' writes
 * (createIndexConcurrently).
 */
export class NotificationPruneIndexes1767100001000 implements MigrationInterface {
  name = 'NotificationPruneIndexes1767100001000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      q,
      'idx_notification_deliveries_finished',
      `notification_deliveries (updated_at) WHERE status IN ('sent', 'dead', 'suppressed')`,
    );
    await createIndexConcurrently(q, 'idx_notification_repeats_last_at', `notification_repeats (last_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_notification_repeats_last_at`);
    await q.query(`DROP INDEX idx_notification_deliveries_finished`);
  }
}
