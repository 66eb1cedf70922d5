import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The three pillars and the loop: incidents, decisions and kill switch (incident console);
 * failure patterns, recovery candidates and actions (self-healing); policy rules and
 * evaluations, agents, routing adjustments and decisions (governance); loop traces and events.
 * Cross-pillar ids are plain columns without foreign keys: modules own their tables.
 */
export class Pillars1764000001000 implements MigrationInterface {
  name = 'Pillars1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE incidents (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        title text NOT NULL,
        error_type text NOT NULL,
        message text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        agent_id text,
        capability text,
        context jsonb NOT NULL DEFAULT '{}',
        occurred_at timestamptz(3) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        matched_pattern_id uuid
      )`);
    await q.query(`CREATE INDEX idx_incidents_tenant_created ON incidents (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_incidents_pattern ON incidents (matched_pattern_id)`);

    await q.query(`
      CREATE TABLE decisions (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        incident_id uuid,
        kind text NOT NULL,
        summary text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX idx_decisions_incident ON decisions (tenant_id, incident_id, created_at)`);

    await q.query(`
      CREATE TABLE killswitch_state (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        agent_id text NOT NULL DEFAULT '',
        active boolean NOT NULL,
        reason text NOT NULL,
        changed_by text NOT NULL,
        changed_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, agent_id)
      )`);
    await q.query(`COMMENT ON COLUMN killswitch_state.agent_id IS 'empty string: the whole tenant'`);

    await q.query(`
      CREATE TABLE failure_patterns (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        error_type text NOT NULL,
        shape_key text NOT NULL,
        template text NOT NULL,
        template_tokens text[] NOT NULL,
        occurrence_count integer NOT NULL DEFAULT 1,
        first_incident_id uuid,
        last_seen_at timestamptz(3) NOT NULL DEFAULT now(),
        recovery_template jsonb,
        auto_apply_recovery boolean NOT NULL DEFAULT false,
        affected_agents text[] NOT NULL DEFAULT '{}',
        capabilities text[] NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // Matching reads one (tenant, error type, shape) bucket, never the whole catalog.
    await q.query(`CREATE INDEX idx_patterns_bucket ON failure_patterns (tenant_id, error_type, shape_key)`);
    await q.query(`CREATE INDEX idx_patterns_tenant_seen ON failure_patterns (tenant_id, last_seen_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE recovery_candidates (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        source_incident_id uuid NOT NULL,
        source_pattern_id uuid NOT NULL,
        playbook_id text NOT NULL,
        action text NOT NULL,
        steps jsonb NOT NULL DEFAULT '[]',
        params jsonb NOT NULL DEFAULT '{}',
        suggestion_type text NOT NULL CHECK (suggestion_type IN ('template', 'generated')),
        confidence double precision NOT NULL,
        status text NOT NULL CHECK (status IN ('pending_review', 'applied', 'rejected')),
        decided_by text,
        decided_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX idx_recoveries_tenant_status ON recovery_candidates (tenant_id, status, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX idx_recoveries_pattern ON recovery_candidates (source_pattern_id)`);
    await q.query(`CREATE INDEX idx_recoveries_incident ON recovery_candidates (source_incident_id)`);
    await q.query(`
      CREATE TABLE recovery_actions (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        recovery_id uuid NOT NULL,
        action text NOT NULL CHECK (action IN ('applied', 'rejected')),
        automatic boolean NOT NULL,
        actor text NOT NULL,
        note text,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_recovery_actions_recovery ON recovery_actions (recovery_id)`);

    await q.query(`
      CREATE TABLE policy_rules (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        category text NOT NULL CHECK (category IN ('safety', 'privacy', 'operational', 'routing', 'custom')),
        action text NOT NULL CHECK (action IN ('block', 'warn', 'escalate', 'route_away')),
        scope text NOT NULL CHECK (scope IN ('global', 'tenant', 'agent')),
        scope_agent_id text,
        condition text NOT NULL,
        status text NOT NULL CHECK (status IN ('draft', 'active', 'disabled')),
        source_type text NOT NULL CHECK (source_type IN ('manual', 'recovery', 'pattern')),
        source_pattern_id uuid,
        source_recovery_id uuid,
        generation_confidence double precision,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // One policy per pattern: later incidents of the pattern update it.
    await q.query(
      `CREATE UNIQUE INDEX uq_policy_per_pattern ON policy_rules (tenant_id, source_pattern_id) WHERE source_pattern_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX idx_policies_tenant_status ON policy_rules (tenant_id, status, scope)`);
    await q.query(`CREATE INDEX idx_policies_global ON policy_rules (status) WHERE scope = 'global'`);

    await q.query(`
      CREATE TABLE policy_evaluations (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        agent_id text,
        capability text,
        context jsonb NOT NULL DEFAULT '{}',
        decision text NOT NULL,
        matched jsonb NOT NULL DEFAULT '[]',
        matched_policy_ids uuid[] NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_evaluations_tenant_time ON policy_evaluations (tenant_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_evaluations_agent ON policy_evaluations (tenant_id, agent_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_evaluations_policies ON policy_evaluations USING gin (matched_policy_ids)`);

    await q.query(`
      CREATE TABLE agents (
        tenant_id text NOT NULL,
        id text NOT NULL,
        capabilities text[] NOT NULL DEFAULT '{}',
        base_confidence double precision NOT NULL DEFAULT 1.0 CHECK (base_confidence BETWEEN 0 AND 1),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);

    await q.query(`
      CREATE TABLE routing_adjustments (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        agent_id text NOT NULL,
        capability text NOT NULL DEFAULT '',
        adjustment_type text NOT NULL CHECK (adjustment_type IN ('confidence_penalty', 'route_block', 'escalation_add')),
        magnitude double precision NOT NULL CHECK (magnitude BETWEEN -1 AND 1),
        reason text NOT NULL,
        source_policy_id uuid NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        expires_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (source_policy_id, agent_id, capability)
      )`);
    await q.query(`COMMENT ON COLUMN routing_adjustments.capability IS 'empty string: every capability of the agent'`);
    await q.query(`CREATE INDEX idx_adjustments_agent ON routing_adjustments (tenant_id, agent_id, is_active)`);

    await q.query(`
      CREATE TABLE routing_decisions (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        capability text NOT NULL,
        chosen_agent_id text,
        needs_human_checkpoint boolean NOT NULL DEFAULT false,
        reason text,
        candidates jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_routing_decisions_tenant ON routing_decisions (tenant_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE loop_traces (
        incident_id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        stages jsonb NOT NULL DEFAULT '{}',
        is_complete boolean NOT NULL DEFAULT false,
        started_at timestamptz(3) NOT NULL,
        completed_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_loop_traces_tenant ON loop_traces (tenant_id, started_at DESC)`);

    await q.query(`
      CREATE TABLE loop_events (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        incident_id uuid NOT NULL,
        stage text NOT NULL,
        event_type text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_loop_events_incident ON loop_events (incident_id, created_at)`);
    await q.query(`CREATE INDEX idx_loop_events_tenant ON loop_events (tenant_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'loop_events',
      'loop_traces',
      'routing_decisions',
      'routing_adjustments',
      'agents',
      'policy_evaluations',
      'policy_rules',
      'recovery_actions',
      'recovery_candidates',
      'failure_patterns',
      'killswitch_state',
      'decisions',
      'incidents',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
