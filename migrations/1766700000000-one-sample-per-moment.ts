import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One sample per series and moment: a sample sent again (a client's retry after a timeout, the
 * same reading twice in a body) is the same reading, not a second one. Each copy was judged
 * against the same baseline, so one bad reading sent three times armed an escalation on its own.
 * Copies already stored are removed (the first kept), and the series index becomes unique.
 */
export class OneSamplePerMoment1766700000000 implements MigrationInterface {
  name = 'OneSamplePerMoment1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM signal_samples s USING signal_samples first
       WHERE s.tenant_id = first.tenant_id AND s.metric = first.metric AND s.agent_id = first.agent_id
         AND s.capability = first.capability AND s.at = first.at AND s.id > first.id`);
    await q.query(`DROP INDEX idx_signal_samples_series`);
    await q.query(
      `CREATE UNIQUE INDEX uq_signal_samples_series ON signal_samples (tenant_id, metric, agent_id, capability, at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uq_signal_samples_series`);
    await q.query(
      `CREATE INDEX idx_signal_samples_series ON signal_samples (tenant_id, metric, agent_id, capability, at)`,
    );
  }
}
