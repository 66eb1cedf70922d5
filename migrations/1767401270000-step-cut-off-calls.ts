import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `cut_off_calls` per step: calls a stopping service cut off (ADR 0008 §10). Such a call was made,
 * though it costs no attempt, so a step with one may have acted: a run stopped afterwards rolls it
 * back even when a person then took the step over (its actuator removed) and never answered.
 * Steps cut off before this migration are not known: the rows start at 0.
 */
export class StepCutOffCalls1767401270000 implements MigrationInterface {
  name = 'StepCutOffCalls1767401270000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_run_steps ADD COLUMN cut_off_calls int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_run_steps DROP COLUMN cut_off_calls`);
  }
}
