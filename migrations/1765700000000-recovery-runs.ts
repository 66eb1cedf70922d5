import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recovery runs (DESIGN §8, ADR 0008): a run per approved or auto-applied recovery, its steps
 * (copied from the playbook when the run starts, so a config change never alters a run in
 * flight) and every transition. A run that has work due carries `due_at`; a worker claims it
 * with a lease (`lease_until`, `lease_token`) and never holds a transaction across a call.
 * Guardrails for automatic runs are one settings document per tenant.
 */
export class RecoveryRuns1765700000000 implements MigrationInterface {
  name = 'RecoveryRuns1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE recovery_runs (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        recovery_id uuid UNIQUE,
        incident_id uuid,
        pattern_id uuid,
        playbook_id text NOT NULL,
        agent_id text,
        capability text,
        automatic boolean NOT NULL,
        started_by text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'awaiting_operator', 'awaiting_patch', 'verifying',
                                               'succeeded', 'failed', 'rolled_back', 'rollback_failed', 'canceled')),
        phase text NOT NULL CHECK (phase IN ('steps', 'verify', 'watch', 'rollback', 'done')),
        reason text,
        params jsonb NOT NULL DEFAULT '{}',
        context jsonb NOT NULL DEFAULT '{}',
        cancel_requested_by text,
        recurrence_incident_id uuid,
        paused_reason text,
        deadline_at timestamptz(3) NOT NULL,
        verify_until timestamptz(3),
        due_at timestamptz(3),
        lease_until timestamptz(3),
        lease_token uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        started_at timestamptz(3),
        finished_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CHECK ((phase = 'done') = (finished_at IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX idx_recovery_runs_tenant_created ON recovery_runs (tenant_id, created_at DESC, id DESC)`,
    );
    // The engine's claim reads only runs with work due.
    await q.query(`CREATE INDEX idx_recovery_runs_due ON recovery_runs (due_at) WHERE due_at IS NOT NULL`);
    await q.query(
      `CREATE INDEX idx_recovery_runs_pattern ON recovery_runs (tenant_id, pattern_id, agent_id, created_at DESC)`,
    );
    await q.query(
      `CREATE INDEX idx_recovery_runs_active ON recovery_runs (tenant_id, agent_id, capability) WHERE finished_at IS NULL`,
    );
    await q.query(`CREATE INDEX idx_recovery_runs_incident ON recovery_runs (tenant_id, incident_id)`);

    await q.query(`
      CREATE TABLE recovery_run_steps (
        run_id uuid NOT NULL REFERENCES recovery_runs (id) ON DELETE CASCADE,
        step_id text NOT NULL,
        tenant_id text NOT NULL,
        list text NOT NULL CHECK (list IN ('steps', 'verify', 'rollback')),
        position int NOT NULL,
        kind text NOT NULL CHECK (kind IN ('webhook', 'manual', 'wait', 'check', 'escalate')),
        runs_as text NOT NULL CHECK (runs_as IN ('webhook', 'manual', 'wait', 'check', 'escalate')),
        instruction text NOT NULL,
        actuator text,
        params jsonb NOT NULL DEFAULT '{}',
        condition text,
        run_if text,
        duration_ms int,
        timeout_ms int NOT NULL,
        max_attempts int NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'awaiting_operator', 'timed_out')),
        waiting_for text CHECK (waiting_for IN ('call', 'result', 'timer', 'operator', 'notify', 'patch')),
        attempts int NOT NULL DEFAULT 0,
        output jsonb,
        error text,
        webhook_id text NOT NULL,
        work_order_id uuid,
        deadline_at timestamptz(3),
        started_at timestamptz(3),
        finished_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, step_id)
      )`);

    await q.query(`
      CREATE TABLE recovery_run_transitions (
        id uuid PRIMARY KEY,
        -- The order of a run's history: several changes may share a millisecond.
        seq bigint GENERATED ALWAYS AS IDENTITY,
        tenant_id text NOT NULL,
        run_id uuid NOT NULL REFERENCES recovery_runs (id) ON DELETE CASCADE,
        step_id text,
        from_status text,
        to_status text NOT NULL,
        attempt int,
        output jsonb,
        error text,
        note text,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_recovery_run_transitions ON recovery_run_transitions (run_id, seq)`);

    await q.query(`
      CREATE TABLE self_healing_guardrails (
        tenant_id text PRIMARY KEY,
        settings jsonb NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE self_healing_guardrails`);
    await q.query(`DROP TABLE recovery_run_transitions`);
    await q.query(`DROP TABLE recovery_run_steps`);
    await q.query(`DROP TABLE recovery_runs`);
  }
}
