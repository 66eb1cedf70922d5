import type { Cursor } from '../http/cursor.js';

/**
 * `SELECT *` of one tenant's rows, newest first, keyset-paginated on (created_at, id). Each
 * condition is `column = ?`-style SQL with its value; one whose value is undefined is left out.
 */
export function newestFirst(table: string, tenantId: string, conditions: Array<[sql: string, value: unknown]>, cursor: Cursor | null, limit: number): { sql: string; params: unknown[] } {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [tenantId];
  for (const [sql, value] of conditions) {
    if (value === undefined) continue;
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  }
  if (cursor) {
    params.push(cursor.at, cursor.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(limit);
  return { sql: `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params };
}
