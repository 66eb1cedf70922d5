import { describe, expect, it } from '@jest/globals';
import { setColumns } from './set-columns.js';

describe('setColumns', () => {
  it('numbers from `first`, casts objects to jsonb, keeps Dates and nulls as they are, and stamps updated_at', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(setColumns({ status: 'done', output: { ok: true }, finished_at: at, error: null }, 3)).toEqual({
      sql: 'status = $3, output = $4::jsonb, finished_at = $5, error = $6, updated_at = now()',
      params: ['done', '{"ok":true}', at, null],
    });
  });
});
