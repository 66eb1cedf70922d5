import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An audit entry's seq is 1 or more (ADR 0016): audit_chain numbers a tenant's entries from 1,
 * and the append-only trigger does not refuse an INSERT, so without this a row written around the
 * log at seq 0 or below sat before every page verification and export read.
 *
 * The check is added NOT VALID (no scan; new rows are checked at once), then validated by itself:
 * VALIDATE scans the table under a lock that lets appends go on, which a plain ADD CONSTRAINT
 * would not (it scans under ACCESS EXCLUSIVE, and a big log would stop every audited write for the
 * scan). Hence no migration transaction: each step commits on its own, and each may run again. A
 * database that already holds such a row still migrates: the check stays NOT VALID (a warning),
 * the row is left where it is as the evidence it is, and /audit/verify reports it; whoever removes
 * it can validate the check then (`ALTER TABLE audit_entries VALIDATE CONSTRAINT
 * audit_entries_seq_positive`).
 */
export class AuditSeqPositive1767000000000 implements MigrationInterface {
  name = 'AuditSeqPositive1767000000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_constraint
                        WHERE conrelid = 'audit_entries'::regclass AND conname = 'audit_entries_seq_positive') THEN
          ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_seq_positive CHECK (seq > 0) NOT VALID;
        END IF;
      END $$`);
    await q.query(`
      DO $$ BEGIN
        ALTER TABLE audit_entries VALIDATE CONSTRAINT audit_entries_seq_positive;
      EXCEPTION WHEN check_violation THEN
        RAISE WARNING 'audit_entries holds rows with seq < 1, written around the log: the check is left NOT VALID';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_entries DROP CONSTRAINT IF EXISTS audit_entries_seq_positive`);
  }
}
