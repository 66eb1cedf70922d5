import type { Cursor } from '../http/cursor.js';

/** A `column = ?`-style condition and its value; left out when the value is undefined. SQL without `?` takes no parameter. */
export type Condition = [sql: string, value: unknown];

export interface NewestFirstProps {
  table: string;
  tenantId: string;
  conditions: Condition[];
  /** The previous page's last row; null: the first page. */
  cursor: Cursor | null;
  limit: number;
  /** The column the rows are ordered and paginated on. Default: `created_at`. */
  timeColumn?: string;
  /** The select list. Default: `*`. */
  columns?: string;
}

/**
 * `SELECT *` (or `columns`) of one tenant's rows, newest first, keyset-paginated on (timeColumn, id) — the
 * cursor's `at` is that column's value.
 */
export function newestFirst({
  table,
  tenantId,
  conditions,
  cursor,
  limit,
  timeColumn = 'created_at',
  columns = '*',
}: NewestFirstProps): { sql: string; params: unknown[] } {
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
  return {
    sql: `SELECT ${columns} FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${timeColumn} DESC, id DESC LIMIT $${params.length}`,
    params,
  };
}
