import { Injectable } from '@nestjs/common';
import { newestFirst } from '../../platform/database/newest-first.js';
import { columnsOf, TransactionHost } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import type { Baseline, Breach } from './detection.js';
import type { Sample } from './samples.js';

export interface SymptomRow {
  id: string;
  tenant_id: string;
  metric: string;
  agent_id: string;
  capability: string;
  severity: 'warning' | 'critical';
  value: number;
  baseline: number;
  mad: number;
  delta_pct: number | null;
  baseline_samples: number;
  at: Date;
}

export interface EscalationRow {
  id: string;
  tenant_id: string;
  metric: string;
  agent_id: string;
  capability: string;
  armed_at: Date;
  expires_at: Date;
  symptom_ids: string[];
  incident_id: string;
  /** When its incident was resolved (null: open): it no longer waits for a person, armed or not. */
  incident_resolved_at: Date | null;
}

export interface BaselineRow {
  n: number;
  first_at: Date | null;
  last_at: Date | null;
  median: number | null;
  mad: number | null;
}

export interface SignalFilters {
  metric?: string;
  agentId?: string;
  /** At or after (ISO 8601). */
  since?: string;
  /** Escalations only: 'true' still armed by the wall clock, 'false' expired. */
  active?: string;
}

/** The SQL of metric samples, symptoms and degradation escalations. */
/** An armed escalation with how bad its symptoms were, and how many are armed. */
export type ArmedEscalationRow = EscalationRow & { critical: boolean; total: number };

@Injectable()
export class SignalsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Stores the samples, one per series and moment: a sample sent again (a retry, the same reading
   * twice in a body) is the reading already stored. Returns the samples stored now, in their order.
   */
  async insertSamples(tenantId: string, samples: Sample[]): Promise<Sample[]> {
    const ids = samples.map(() => uuidv7());
    const rows = await this.tx.query<{ id: string }>(
      `INSERT INTO signal_samples (id, tenant_id, metric, agent_id, capability, value, at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::timestamptz[])
       ON CONFLICT (tenant_id, metric, agent_id, capability, at) DO NOTHING RETURNING id`,
      columnsOf(samples.map((s, i) => [ids[i], tenantId, s.metric, s.agentId, s.capability, s.value, s.at])),
    );
    const stored = new Set(rows.map((r) => r.id));
    return samples.filter((_, i) => stored.has(ids[i]));
  }

  /** Count, time span, median and MAD of the sample's series (metric, agent, capability) in [from, its `at`). */
  async baselineOf(tenantId: string, s: Sample, from: Date): Promise<BaselineRow> {
    const [row] = await this.tx.query<BaselineRow>(
      `WITH w AS (
         SELECT value, at FROM signal_samples
          WHERE tenant_id = $1 AND metric = $2 AND agent_id = $3 AND capability = $4 AND at >= $5 AND at < $6),
       m AS (SELECT count(*)::int AS n, min(at) AS first_at, max(at) AS last_at,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median FROM w)
       SELECT m.*, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(w.value - m.median)) FROM w) AS mad FROM m`,
      [tenantId, s.metric, s.agentId, s.capability, from, s.at],
    );
    return row;
  }

  async insertSymptom(tenantId: string, s: Sample, b: Baseline, breach: Breach): Promise<SymptomRow> {
    const [row] = await this.tx.query<SymptomRow>(
      `INSERT INTO signal_symptoms (id, tenant_id, metric, agent_id, capability, severity, value, baseline, mad, delta_pct, baseline_samples, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [
        uuidv7(),
        tenantId,
        s.metric,
        s.agentId,
        s.capability,
        breach.severity,
        s.value,
        b.median,
        b.mad,
        breach.deltaPct,
        b.samples,
        s.at,
      ],
    );
    return row;
  }

  /** The symptoms of this kind (metric) for this agent in (from, until), oldest first. */
  symptomsBetween(tenantId: string, symptom: SymptomRow, from: Date, until: Date): Promise<SymptomRow[]> {
    return this.tx.query<SymptomRow>(
      `SELECT * FROM signal_symptoms WHERE tenant_id = $1 AND metric = $2 AND agent_id = $3 AND at > $4 AND at < $5 ORDER BY at, id`,
      [tenantId, symptom.metric, symptom.agent_id, from, until],
    );
  }

  /** The times of the escalations of this kind for this agent armed at any time in [from, until). */
  escalationsArmedBetween(
    tenantId: string,
    symptom: SymptomRow,
    from: Date,
    until: Date,
  ): Promise<Pick<EscalationRow, 'armed_at' | 'expires_at'>[]> {
    return this.tx.query(
      `SELECT armed_at, expires_at FROM signal_escalations WHERE tenant_id = $1 AND metric = $2 AND agent_id = $3 AND armed_at < $5 AND expires_at > $4`,
      [tenantId, symptom.metric, symptom.agent_id, from, until],
    );
  }

  async insertEscalation(
    tenantId: string,
    symptom: SymptomRow,
    expiresAt: Date,
    symptomIds: string[],
    incidentId: string,
  ): Promise<EscalationRow> {
    const [row] = await this.tx.query<EscalationRow>(
      `INSERT INTO signal_escalations (id, tenant_id, metric, agent_id, capability, armed_at, expires_at, symptom_ids, incident_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        uuidv7(),
        tenantId,
        symptom.metric,
        symptom.agent_id,
        symptom.capability,
        symptom.at,
        expiresAt,
        symptomIds,
        incidentId,
      ],
    );
    return row;
  }

  /**
   * Escalations still armed by the wall clock whose incident is not resolved (what waits for a
   * person), newest first, at most `limit` (null: all), with how bad their symptoms were and how
   * many such there are; with `ids` (uuids), only those of them.
   */
  armedEscalations(
    tenantId: string,
    limit: number | null,
    ids: readonly string[] | null = null,
  ): Promise<ArmedEscalationRow[]> {
    return this.tx.query<ArmedEscalationRow>(
      `SELECT e.*,
              EXISTS (SELECT 1 FROM signal_symptoms s
                       WHERE s.id = ANY(e.symptom_ids) AND s.severity = 'critical') AS critical,
              (count(*) OVER ())::int AS total
         FROM signal_escalations e
        WHERE e.tenant_id = $1 AND e.expires_at > now() AND e.incident_resolved_at IS NULL
          AND ($3::uuid[] IS NULL OR e.id = ANY ($3::uuid[]))
        ORDER BY e.armed_at DESC, e.id DESC LIMIT $2`,
      [tenantId, limit, ids],
    );
  }

  /** Records that the incident was resolved on its escalations. */
  async markIncidentResolved(tenantId: string, incidentId: string, resolvedAt: Date): Promise<void> {
    await this.tx.query(
      `UPDATE signal_escalations SET incident_resolved_at = $3
        WHERE tenant_id = $1 AND incident_id = $2 AND incident_resolved_at IS NULL`,
      [tenantId, incidentId, resolvedAt],
    );
  }

  /**
   * Deletes up to `limit` rows of `table` older than their tenant's `retentionDays`
   * (`defaultDays` for a tenant whose settings have none), across tenants; how many it deleted.
   * The tenants are found by skipping along the table's index on tenant_id (one probe per tenant,
   * not a scan), and each tenant's old rows by its own.
   */
  async prunePastRetention(
    table: 'signal_samples' | 'signal_symptoms',
    defaultDays: number,
    limit: number,
  ): Promise<number> {
    const deleted = await this.tx.query(
      `WITH RECURSIVE tenants AS (
         (SELECT tenant_id FROM ${table} ORDER BY tenant_id LIMIT 1)
         UNION ALL
         SELECT (SELECT x.tenant_id FROM ${table} x WHERE x.tenant_id > t.tenant_id ORDER BY x.tenant_id LIMIT 1)
           FROM tenants t WHERE t.tenant_id IS NOT NULL)
       DELETE FROM ${table} WHERE ctid = ANY (ARRAY(
         SELECT old.ctid FROM tenants t
           LEFT JOIN intake_settings i ON i.tenant_id = t.tenant_id
           CROSS JOIN LATERAL (
             SELECT x.ctid FROM ${table} x
              WHERE x.tenant_id = t.tenant_id
                AND x.at < now() - make_interval(days => coalesce((i.settings ->> 'retentionDays')::int, $1))
              LIMIT $2) old
          WHERE t.tenant_id IS NOT NULL
          LIMIT $2))
       RETURNING 1`,
      [defaultDays, limit],
    );
    return deleted.length;
  }

  /** Deletes samples and symptoms older than `cutoff`; answers how many of each. */
  async pruneBefore(tenantId: string, cutoff: Date): Promise<{ samples: number; symptoms: number }> {
    const samples = await this.tx.query(`DELETE FROM signal_samples WHERE tenant_id = $1 AND at < $2 RETURNING 1`, [
      tenantId,
      cutoff,
    ]);
    const symptoms = await this.tx.query(`DELETE FROM signal_symptoms WHERE tenant_id = $1 AND at < $2 RETURNING 1`, [
      tenantId,
      cutoff,
    ]);
    return { samples: samples.length, symptoms: symptoms.length };
  }

  /** Symptoms, newest first (keyset on at, id). */
  listSymptoms(tenantId: string, f: SignalFilters, cursor: Cursor | null, limit: number): Promise<SymptomRow[]> {
    return this.list<SymptomRow>('signal_symptoms', 'at', tenantId, f, cursor, limit);
  }

  /** Escalations, newest first (keyset on armed_at, id). */
  listEscalations(tenantId: string, f: SignalFilters, cursor: Cursor | null, limit: number): Promise<EscalationRow[]> {
    return this.list<EscalationRow>('signal_escalations', 'armed_at', tenantId, f, cursor, limit);
  }

  private list<R>(
    table: 'signal_symptoms' | 'signal_escalations',
    timeColumn: 'at' | 'armed_at',
    tenantId: string,
    f: SignalFilters,
    cursor: Cursor | null,
    limit: number,
  ): Promise<R[]> {
    const active = table === 'signal_escalations' && f.active !== undefined ? f.active : undefined;
    const { sql, params } = newestFirst({
      table,
      tenantId,
      conditions: [
        ['metric = ?', f.metric || undefined],
        ['agent_id = ?', f.agentId || undefined],
        [`${timeColumn} >= ?`, f.since || undefined],
        [active === 'true' ? 'expires_at > now()' : 'expires_at <= now()', active],
      ],
      cursor,
      limit,
      timeColumn,
    });
    return this.tx.query<R>(sql, params);
  }
}
