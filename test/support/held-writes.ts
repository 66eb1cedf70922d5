import pg from 'pg';
import { eventually, type TestApp } from './test-app.js';

/**
 * Starts `requests` while writes to `table` are held back, and lets them go once `waiting`
 * transactions wait behind them (on the table's lock, or on one the code under test takes first
 * from a transaction that waits on the table). Two changes that
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
    // Only waits that lead back to the blocker count (held by it, or by a backend it holds), so
    // the app's own workers waiting on something else cannot let the writes go early.
    await eventually(async () => {
      const [{ n }] = await app.sql(
        `WITH held AS (SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))
         SELECT count(*)::int AS n FROM pg_stat_activity a
          WHERE a.pid IN (SELECT pid FROM held)
             OR EXISTS (SELECT 1 FROM held h WHERE h.pid = ANY(pg_blocking_pids(a.pid)))`,
        [blockerPid],
      );
      return n === waiting;
    }, `${waiting} transactions to wait behind the held writes`);
    await blocker.query('COMMIT');
    return await done;
  } finally {
    await blocker.end();
  }
}
