/**
 * `a = $2, b = $3::jsonb, …, updated_at = now()` for an `UPDATE … SET` by key, numbering from
 * `first`: objects (not Dates) are stored as JSON. Column names come from the caller's code, never
 * from input.
 */
export function setColumns(set: Record<string, unknown>, first: number): { sql: string; params: unknown[] } {
  const entries = Object.entries(set);
  const isJson = (v: unknown) => v !== null && typeof v === 'object' && !(v instanceof Date);
  return {
    sql: [
      ...entries.map(([c, v], i) => `${c} = $${i + first}${isJson(v) ? '::jsonb' : ''}`),
      'updated_at = now()',
    ].join(', '),
    params: entries.map(([, v]) => (isJson(v) ? JSON.stringify(v) : v)),
  };
}
