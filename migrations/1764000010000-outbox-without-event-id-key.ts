import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `UNIQUE (event_id, handler)` took one entry per delivery in a B-tree keyed by a random UUID:
 * each insert lands on a random leaf page (and the first change to a page after a checkpoint
 * writes the whole page to the WAL), and every vacuum scans it all. Nothing looks deliveries up
 * by event id, and nothing could store one twice: the publisher mints a fresh id per event and
 * writes one row per handler, in one statement. Exactly-once handling is the done-mark's job
 * (1764000006000), not this constraint's. (Event ids became time-ordered UUIDs in the next commit,
 * which would have made the index cheaper; nothing needs it either way.)
 */
export class OutboxWithoutEventIdKey1764000010000 implements MigrationInterface {
  name = 'OutboxWithoutEventIdKey1764000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_event_id_handler_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE outbox_events ADD CONSTRAINT outbox_events_event_id_handler_key UNIQUE (event_id, handler)`,
    );
  }
}
