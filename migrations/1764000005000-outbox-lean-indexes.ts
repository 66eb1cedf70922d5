import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every outbox row is written three times (stored, claimed, done), and each version adds an
 * entry to every index whose predicate it matches. The (incident, handler) index serves only
 * `retry/:stage`, which looks for dead or held rows, so it now holds only those: a delivery
 * that goes straight through no longer touches it.
 */
export class OutboxLeanIndexes1764000005000 implements MigrationInterface {
  name = 'OutboxLeanIndexes1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_outbox_incident_stuck ON outbox_events (incident_id, handler) WHERE status IN ('dead', 'held')`,
    );
    await q.query(`DROP INDEX idx_outbox_incident`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_outbox_incident ON outbox_events (incident_id, handler)`);
    await q.query(`DROP INDEX idx_outbox_incident_stuck`);
  }
}
