import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Platform tables: API keys, idempotency keys, feature flags with history, the outbox. */
export class Platform1764000000000 implements MigrationInterface {
  name = 'Platform1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        platform_admin boolean NOT NULL DEFAULT false,
        key_hash text NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz(3),
        revoked_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX idx_api_keys_tenant ON api_keys (tenant_id)`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        tenant_id text NOT NULL,
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        resource_id uuid NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, scope, key)
      )`);

    await q.query(`
      CREATE TABLE feature_flags (
        name text NOT NULL,
        tenant_id text NOT NULL DEFAULT '',
        enabled boolean NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (name, tenant_id)
      )`);
    await q.query(`COMMENT ON COLUMN feature_flags.tenant_id IS 'empty string: the global value'`);
    await q.query(`
      CREATE TABLE feature_flag_changes (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        tenant_id text NOT NULL,
        old_enabled boolean,
        new_enabled boolean NOT NULL,
        changed_by text NOT NULL,
        changed_at timestamptz(3) NOT NULL DEFAULT now()
      )`);

    // One row per (event, consuming handler): each handler's delivery is claimed, retried,
    // held or dead-lettered on its own.
    await q.query(`
      CREATE TABLE outbox_events (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        handler text NOT NULL,
        tenant_id text NOT NULL,
        incident_id uuid,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'held', 'done', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        available_at timestamptz(3) NOT NULL DEFAULT now(),
        locked_until timestamptz(3),
        locked_by text,
        last_error text,
        -- clock time, not transaction start: a stage's queue wait is measured from here
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        processed_at timestamptz(3),
        UNIQUE (event_id, handler)
      )`);
    await q.query(`CREATE INDEX idx_outbox_due ON outbox_events (available_at, id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX idx_outbox_held ON outbox_events (handler, tenant_id) WHERE status = 'held'`);
    await q.query(`CREATE INDEX idx_outbox_processed ON outbox_events (processed_at) WHERE status = 'done'`);
    await q.query(`CREATE INDEX idx_outbox_incident ON outbox_events (incident_id, handler)`);

    // The exactly-once guard: written in the handler's own transaction.
    await q.query(`
      CREATE TABLE outbox_consumptions (
        event_id uuid NOT NULL,
        handler text NOT NULL,
        consumed_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (event_id, handler)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_consumptions`);
    await q.query(`DROP TABLE outbox_events`);
    await q.query(`DROP TABLE feature_flag_changes`);
    await q.query(`DROP TABLE feature_flags`);
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE api_keys`);
  }
}
