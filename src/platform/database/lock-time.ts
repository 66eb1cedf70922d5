/**
 * A row-locking SELECT (`... FOR UPDATE`) with the database's time once the lock is held, as
 * `locked_at`: what a change made under the lock is stamped with and judged by. The clock is read
 * outside the locking SELECT: in its own select list, clock_timestamp() is the time before a wait
 * for another transaction's lock (unless that one changed the row), not after.
 */
export const withLockTime = (lockingSelect: string): string =>
  `WITH locked AS MATERIALIZED (${lockingSelect}) SELECT *, clock_timestamp() AS locked_at FROM locked`;
