import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Escalation to a coding agent (DESIGN §9): work orders with every state change kept, API keys
 * of role `agent`, and the trust a recovery run's outcome gives an agent's capability, with its
 * history. A run id is a plain column: runs belong to the recovery-run engine.
 */
export class WorkOrdersAndTrust1765300000000 implements MigrationInterface {
  name = 'WorkOrdersAndTrust1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check`);
    await q.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'operator', 'admin', 'agent'))`,
    );

    await q.query(`
      CREATE TABLE work_orders (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        run_id uuid,
        step_id text,
        incident_id uuid,
        description text NOT NULL,
        context jsonb NOT NULL DEFAULT '{}',
        priority text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
        complexity text NOT NULL CHECK (complexity IN ('small', 'medium', 'large')),
        status text NOT NULL CHECK (status IN ('queued', 'claimed', 'in_progress', 'completed', 'failed', 'canceled')),
        claimed_by text,
        claim_key_id uuid,
        claimed_at timestamptz(3),
        claim_expires_at timestamptz(3),
        result jsonb,
        failure_reason text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        finished_at timestamptz(3),
        CHECK ((status IN ('claimed', 'in_progress')) = (claim_key_id IS NOT NULL AND claim_expires_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX idx_work_orders_tenant_created ON work_orders (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_work_orders_run ON work_orders (tenant_id, run_id)`);
    // The lease sweep reads only the held orders.
    await q.query(
      `CREATE INDEX idx_work_orders_leases ON work_orders (tenant_id, claim_expires_at) WHERE claim_expires_at IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE work_order_transitions (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        work_order_id uuid NOT NULL REFERENCES work_orders (id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        actor text NOT NULL,
        note text,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_work_order_transitions ON work_order_transitions (work_order_id, created_at, id)`);

    // Trust per (agent, capability); '' is the agent without a named capability.
    await q.query(`
      CREATE TABLE agent_trust (
        tenant_id text NOT NULL,
        agent_id text NOT NULL,
        capability text NOT NULL DEFAULT '',
        trust double precision NOT NULL CHECK (trust BETWEEN 0 AND 1),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, agent_id, capability)
      )`);
    await q.query(`
      CREATE TABLE agent_trust_changes (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        agent_id text NOT NULL,
        capability text NOT NULL DEFAULT '',
        run_id uuid NOT NULL,
        outcome text NOT NULL,
        previous_trust double precision NOT NULL,
        new_trust double precision NOT NULL,
        reason text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, run_id, agent_id, capability)
      )`);
    await q.query(
      `CREATE INDEX idx_agent_trust_changes_agent ON agent_trust_changes (tenant_id, agent_id, created_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agent_trust_changes`);
    await q.query(`DROP TABLE agent_trust`);
    await q.query(`DROP TABLE work_order_transitions`);
    await q.query(`DROP TABLE work_orders`);
    await q.query(`DELETE FROM api_keys WHERE role = 'agent'`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check`);
    await q.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'operator', 'admin'))`,
    );
  }
}
