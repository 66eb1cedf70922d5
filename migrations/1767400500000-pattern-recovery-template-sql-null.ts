import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `PATCH /catalog/patterns/:id` with `{"recoveryTemplate": null}` stored the JSON value `null`,
 * not SQL NULL. A merge carries an absorbed pattern's template over only to a survivor whose
 * `recovery_template IS NULL`, and counts an absorbed pattern as having one when it `IS NOT NULL`:
 * a JSON null read as "has a template" both ways. The PATCH now stores SQL NULL; this turns the
 * JSON nulls already stored into SQL NULL.
 */
export class PatternRecoveryTemplateSqlNull1767400500000 implements MigrationInterface {
  name = 'PatternRecoveryTemplateSqlNull1767400500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE failure_patterns SET recovery_template = NULL WHERE jsonb_typeof(recovery_template) = 'null'`,
    );
  }

  async down(): Promise<void> {
    // Nothing to restore: a JSON null and SQL NULL were both meant as "no template", and the
    // code before this migration reads SQL NULL as that too.
  }
}
