import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay claims one handler's due deliveries at a time (a batch per transaction), so the
 * due index leads with the handler.
 */
export class OutboxClaimByHandler1764000003000 implements MigrationInterface {
  name = 'OutboxClaimByHandler1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_outbox_due_by_handler ON outbox_events (handler, available_at, id) WHERE status = 'pending'`,
    );
    await q.query(`DROP INDEX idx_outbox_due`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_outbox_due ON outbox_events (available_at, id) WHERE status = 'pending'`);
    await q.query(`DROP INDEX idx_outbox_due_by_handler`);
  }
}
