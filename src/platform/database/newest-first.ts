import type { Cursor } from '../http/cursor.js';

/** A `column = ?`-style condition and its value; left out when the value is undefined. SQL without `?` takes no parameter. */
export type Condition = [sql: string, value: unknown];

/**
 * `SELECT *` of one tenant's rows, newest first, keyset-paginated on (timeColumn, id) — the
 * cursor's `at` is that column's value.
 */
export function newestFirst(
  table: string,
  tenantId: string,
  conditions: Condition[],
  cursor: Cursor | null,
  limit: number,
  timeColumn = 'created_at',
): { sql: string; params: unknown[] } {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [tenantId];
  for (const [sql, value] of conditions) {
    if (value === undefined) continue;
    if (!sql.includes('?')) {
      where.push(sql);
      continue;
    }
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  }
  if (cursor) {
    params.push(cursor.at, cursor.id);
    where.push(`(${timeColumn}, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(limit);
  return { sql: `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${timeColumn} DESC, id DESC LIMIT $${params.length}`, params };
}
