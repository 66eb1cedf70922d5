import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an inbox item was snoozed: a snooze hides the waiting it was set on, not the item's next
 * one (a work order stuck, then failed; a step retried that failed again). Snoozes set before this
 * runs take their mark's last change as that moment, the nearest there is.
 */
export class InboxSnoozedAt1766940000000 implements MigrationInterface {
  name = 'InboxSnoozedAt1766940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbox_marks ADD COLUMN snoozed_at timestamptz(3)`);
    await q.query(`UPDATE inbox_marks SET snoozed_at = updated_at WHERE snoozed_until IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbox_marks DROP COLUMN snoozed_at`);
  }
}
