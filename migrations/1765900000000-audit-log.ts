import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tamper-evident audit log (issue 26, ADR 0016): per tenant, an append-only hash chain.
 * - audit_entries: the entries; a trigger refuses UPDATE, TRUNCATE and DELETE, except the
 *   DELETE of a retention cut, which names its tenant and last seq in two transaction-local
 *   settings (pillar_loop.audit_cut_tenant, pillar_loop.audit_cut_through) first.
 * - audit_heads: each tenant's chain head (last seq and hash). Its row is locked by the
 *   writing transaction at commit, so concurrent writers (on any replica) link one after another.
 * - audit_checkpoints: signed statements of a chain head (append-only too).
 * - audit_chain(…): called at commit with the transaction's entries (their canonical JSON cut
 *   into fragments by the app, see entryFragments); locks each tenant's head in tenant order,
 *   numbers the entries, stamps them with the database clock, hashes them and returns them to insert.
 */
export class AuditLog1765900000000 implements MigrationInterface {
  name = 'AuditLog1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_entries (
        tenant_id text NOT NULL,
        seq bigint NOT NULL,
        at timestamptz(3) NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        subject_type text NOT NULL,
        subject_id text NOT NULL,
        before jsonb,
        after jsonb,
        reason text,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      )`);
    await q.query(`CREATE INDEX idx_audit_entries_subject ON audit_entries (tenant_id, subject_type, subject_id, seq)`);
    await q.query(`CREATE INDEX idx_audit_entries_at ON audit_entries (tenant_id, at)`);
    await q.query(`
      CREATE TABLE audit_heads (
        tenant_id text PRIMARY KEY,
        seq bigint NOT NULL,
        hash text NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        seq bigint NOT NULL,
        hash text NOT NULL,
        at timestamptz(3) NOT NULL,
        kind text NOT NULL CHECK (kind IN ('periodic', 'on_demand', 'retention')),
        cut jsonb,
        key_id text NOT NULL,
        signature text NOT NULL
      )`);
    await q.query(`CREATE INDEX idx_audit_checkpoints_tenant ON audit_checkpoints (tenant_id, seq)`);

    await q.query(`
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_entries' THEN
          IF OLD.tenant_id = current_setting('pillar_loop.audit_cut_tenant', true)
             AND OLD.seq <= nullif(current_setting('pillar_loop.audit_cut_through', true), '')::bigint THEN
            RETURN OLD;
          END IF;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['audit_entries', 'audit_checkpoints']) {
      await q.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW
         EXECUTE FUNCTION audit_append_only()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT
         EXECUTE FUNCTION audit_append_only()`,
      );
    }

    await q.query(`
      CREATE FUNCTION audit_chain(
        p_tenant text[], p_actor text[], p_action text[], p_subject_type text[], p_subject_id text[],
        p_before text[], p_after text[], p_reason text[], p_f0 text[], p_f1 text[], p_f2 text[], p_f3 text[]
      ) RETURNS SETOF audit_entries LANGUAGE plpgsql AS $$
      DECLARE
        t text;
        i int;
        head_seq bigint;
        head_hash text;
        stamp timestamptz;
        stamp_text text;
        entry_hash text;
      BEGIN
        -- Heads are locked in one order (tenant id), so two transactions writing to the same tenants never deadlock.
        FOR t IN SELECT DISTINCT x FROM unnest(p_tenant) AS x ORDER BY 1 LOOP
          SELECT seq, hash INTO head_seq, head_hash FROM audit_heads WHERE tenant_id = t FOR UPDATE;
          IF NOT FOUND THEN
            -- The tenant's first entry: create its head (a concurrent first writer's insert is waited for).
            INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (t, 0, repeat('0', 64))
              ON CONFLICT (tenant_id) DO NOTHING;
            SELECT seq, hash INTO head_seq, head_hash FROM audit_heads WHERE tenant_id = t FOR UPDATE;
          END IF;
          FOR i IN 1 .. array_length(p_tenant, 1) LOOP
            CONTINUE WHEN p_tenant[i] <> t;
            head_seq := head_seq + 1;
            -- Milliseconds, as the entry's ISO text and a JavaScript Date hold it.
            stamp := date_trunc('milliseconds', clock_timestamp());
            stamp_text := to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
            entry_hash := encode(sha256(convert_to(
              head_hash || p_f0[i] || '"' || stamp_text || '"' || p_f1[i] || '"' || head_hash || '"'
                || p_f2[i] || head_seq::text || p_f3[i],
              'UTF8')), 'hex');
            RETURN NEXT ROW(t, head_seq, stamp, p_actor[i], p_action[i], p_subject_type[i], p_subject_id[i],
                            p_before[i]::jsonb, p_after[i]::jsonb, p_reason[i], head_hash, entry_hash)::audit_entries;
            head_hash := entry_hash;
          END LOOP;
          UPDATE audit_heads SET seq = head_seq, hash = head_hash, updated_at = stamp WHERE tenant_id = t;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_chain(${Array(12).fill('text[]').join(', ')})`);
    await q.query(`DROP TABLE audit_checkpoints`);
    await q.query(`DROP TABLE audit_heads`);
    await q.query(`DROP TABLE audit_entries`);
    await q.query(`DROP FUNCTION audit_append_only()`);
  }
}
