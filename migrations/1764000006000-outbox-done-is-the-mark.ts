import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery's own row is now its consumption mark: the batch's transaction marks it `done`
 * first (`… WHERE status = 'pending' RETURNING`), which row-locks it until commit, so a second
 * worker can neither claim it (SKIP LOCKED) nor mark it again. `outbox_consumptions` cost an
 * insert, an index entry and a prune delete per delivery and guarded nothing more.
 */
export class OutboxDoneIsTheMark1764000006000 implements MigrationInterface {
  name = 'OutboxDoneIsTheMark1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_consumptions`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_consumptions (
        event_id uuid NOT NULL,
        handler text NOT NULL,
        consumed_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (event_id, handler)
      )`);
    // The marks the older code expects for what was handled while they were not kept.
    await q.query(`
      INSERT INTO outbox_consumptions (event_id, handler, consumed_at)
      SELECT event_id, handler, processed_at FROM outbox_events WHERE status = 'done' ON CONFLICT DO NOTHING`);
  }
}
