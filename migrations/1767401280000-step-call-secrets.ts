import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `call_secrets_sealed` per step: the secrets its calls carried, sealed with SECRETS_KEY, so that a
 * late result echoing them is redacted even after its actuator was changed or removed (ADR 0013).
 * Cleared once the step finishes. Steps waiting for a late result at this migration have none:
 * theirs is redacted with the actuator as it is then, as before.
 */
export class StepCallSecrets1767401280000 implements MigrationInterface {
  name = 'StepCallSecrets1767401280000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_run_steps ADD COLUMN call_secrets_sealed text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recovery_run_steps DROP COLUMN call_secrets_sealed`);
  }
}
