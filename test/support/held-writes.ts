import pg from 'pg';
import { eventually, type TestApp } from './test-app.js';

/**
 * Starts `requests` while writes to `table` are held back, and lets them go once `waiting` of
 * them wait on a lock (the table's, or one the code under test takes first). Two changes that
 * read before they write then overlap every time, not by chance: a lost update shows on every run.
 */
export async function withWritesHeld<T>(
  app: TestApp,
  table: string,
  waiting: number,
  requests: () => Promise<T>,
): Promise<T> {
  const blocker = new pg.Client({ connectionString: app.database.url });
  await blocker.connect();
  try {
    await blocker.query(`BEGIN; LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    const done = requests();
    const blockerPid = (blocker as unknown as { processID: number }).processID;
    await eventually(async () => {
      const [{ n }] = await app.sql(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
        [blockerPid],
      );
      return n === waiting;
    }, `${waiting} transactions to wait on a lock`);
    await blocker.query('COMMIT');
    return await done;
  } finally {
    await blocker.end();
  }
}
