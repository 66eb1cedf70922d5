import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

/**
 * A channel sends its messages in the order they were queued (ADR 0017): each delivery keeps its
 * place in its channel's line in `queued_at` (when queued; for one held by quiet hours, when its
 * hold ends), which a retry does not move, unlike `available_at`. The claim and the dispatcher's
 * next-due time read the head of each channel's line through idx_notification_deliveries_line; it
 * replaces idx_notification_deliveries_due (by `available_at`), which nothing reads any more. A row
 * an older replica writes during a rolling deploy has no `queued_at`: the index and the queries take
 * its `available_at` for it. The deliveries not yet sent get theirs here (a held one, its hold's
 * end; the others, when they were made). Built without blocking the table's writes
 * (createIndexConcurrently), and written to run again from any point.
 */
export class NotificationLineOrder1767401350000 implements MigrationInterface {
  name = 'NotificationLineOrder1767401350000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries ADD COLUMN IF NOT EXISTS queued_at timestamptz`);
    await q.query(
      `UPDATE notification_deliveries SET queued_at = CASE WHEN status = 'held' THEN available_at ELSE created_at END
        WHERE status IN ('pending', 'held', 'sending') AND queued_at IS NULL`,
    );
    await createIndexConcurrently(
      q,
      'idx_notification_deliveries_line',
      `notification_deliveries (tenant_id, channel, (coalesce(queued_at, available_at)), id)
        WHERE status IN ('pending', 'held', 'sending')`,
    );
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS idx_notification_deliveries_due`);
  }

  /** In a transaction (reverting runs in one): the index by `available_at` back, built plainly. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_notification_deliveries_line`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS idx_notification_deliveries_due ON notification_deliveries (tenant_id, channel, available_at, id)
        WHERE status IN ('pending', 'held', 'sending')`,
    );
    await q.query(`ALTER TABLE notification_deliveries DROP COLUMN IF EXISTS queued_at`);
  }
}
