import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Only the pruner looks rows up by `processed_at`, a few times an hour, yet the B-tree on it took
 * one more entry for every delivery marked done. Rows are marked done roughly in the order they
 * were stored, so a BRIN index (one summary per range of pages) finds the old ones as well, and
 * costs next to nothing to keep up.
 */
export class OutboxProcessedBrin1764000009000 implements MigrationInterface {
  name = 'OutboxProcessedBrin1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX idx_outbox_processed_brin ON outbox_events USING brin (processed_at) WITH (autosummarize = on)`,
    );
    await q.query(`DROP INDEX idx_outbox_processed`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idx_outbox_processed ON outbox_events (processed_at) WHERE status = 'done'`);
    await q.query(`DROP INDEX idx_outbox_processed_brin`);
  }
}
