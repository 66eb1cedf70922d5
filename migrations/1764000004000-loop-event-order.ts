import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A loop's history is listed in the order its events were recorded. `created_at` cannot say
 * that once the relay records several events in one transaction (they share its start time),
 * so each row gets a sequence number; existing rows are numbered in their current order.
 */
export class LoopEventOrder1764000004000 implements MigrationInterface {
  name = 'LoopEventOrder1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE loop_events ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`);
    await q.query(`CREATE INDEX idx_loop_events_incident_seq ON loop_events (incident_id, seq)`);
    await q.query(`DROP INDEX idx_loop_events_incident`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_loop_events_incident ON loop_events (incident_id, created_at)`);
    await q.query(`ALTER TABLE loop_events DROP COLUMN seq`);
  }
}
