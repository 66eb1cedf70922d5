import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Intake from monitoring (DESIGN §10). The incidents pillar gains where an incident came from
 * (`source`) and, for alerts, the fingerprint that deduplicates them: at most one unresolved
 * incident per (tenant, fingerprint). The intake module owns the samples, symptoms, escalations
 * and per-tenant settings of degradation detection; there a missing agent or capability is ''
 * (not NULL), so a series is found by plain equality on its index.
 */
export class Intake1765400000000 implements MigrationInterface {
  name = 'Intake1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE incidents
        ADD COLUMN source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'alertmanager', 'degradation')),
        ADD COLUMN fingerprint text,
        ADD COLUMN repeat_count integer NOT NULL DEFAULT 1,
        ADD COLUMN last_seen_at timestamptz(3)`);
    await q.query(`CREATE UNIQUE INDEX uq_incidents_open_fingerprint ON incidents (tenant_id, fingerprint)
                    WHERE fingerprint IS NOT NULL AND status <> 'resolved'`);
    await q.query(
      `CREATE INDEX idx_incidents_tenant_source ON incidents (tenant_id, source, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE signal_samples (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        metric text NOT NULL,
        agent_id text NOT NULL DEFAULT '',
        capability text NOT NULL DEFAULT '',
        value double precision NOT NULL,
        at timestamptz(3) NOT NULL
      )`);
    await q.query(
      `CREATE INDEX idx_signal_samples_series ON signal_samples (tenant_id, metric, agent_id, capability, at)`,
    );
    await q.query(`CREATE INDEX idx_signal_samples_age ON signal_samples (tenant_id, at)`);
    await q.query(`
      CREATE TABLE signal_symptoms (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        metric text NOT NULL,
        agent_id text NOT NULL DEFAULT '',
        capability text NOT NULL DEFAULT '',
        severity text NOT NULL CHECK (severity IN ('warning', 'critical')),
        value double precision NOT NULL,
        baseline double precision NOT NULL,
        mad double precision NOT NULL,
        delta_pct double precision,
        baseline_samples integer NOT NULL,
        at timestamptz(3) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_signal_symptoms_kind ON signal_symptoms (tenant_id, metric, agent_id, at DESC)`);
    await q.query(`
      CREATE TABLE signal_escalations (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        metric text NOT NULL,
        agent_id text NOT NULL DEFAULT '',
        capability text NOT NULL DEFAULT '',
        armed_at timestamptz(3) NOT NULL,
        expires_at timestamptz(3) NOT NULL,
        symptom_ids uuid[] NOT NULL,
        incident_id uuid NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX idx_signal_escalations_kind ON signal_escalations (tenant_id, metric, agent_id, expires_at DESC)`,
    );
    await q.query(`
      CREATE TABLE intake_settings (
        tenant_id text PRIMARY KEY,
        settings jsonb NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE intake_settings`);
    await q.query(`DROP TABLE signal_escalations`);
    await q.query(`DROP TABLE signal_symptoms`);
    await q.query(`DROP TABLE signal_samples`);
    await q.query(`DROP INDEX idx_incidents_tenant_source`);
    await q.query(`DROP INDEX uq_incidents_open_fingerprint`);
    await q.query(
      `ALTER TABLE incidents DROP COLUMN source, DROP COLUMN fingerprint, DROP COLUMN repeat_count, DROP COLUMN last_seen_at`,
    );
  }
}
