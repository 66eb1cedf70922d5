import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The notification prune (DeliveryPruner) finds what it deletes through these, a batch at a time,
 * instead of reading both tables whole: finished deliveries by when they last changed (a partial
 * index: a delivery enters it once, when it is sent, dead-lettered or suppressed), and repeat
 * marks by when they were last set.
 */
export class NotificationPruneIndexes1767100001000 implements MigrationInterface {
  name = 'NotificationPruneIndexes1767100001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_notification_deliveries_finished ON notification_deliveries (updated_at)
        WHERE status IN ('sent', 'dead', 'suppressed')`,
    );
    await q.query(`CREATE INDEX idx_notification_repeats_last_at ON notification_repeats (last_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_notification_repeats_last_at`);
    await q.query(`DROP INDEX idx_notification_deliveries_finished`);
  }
}
