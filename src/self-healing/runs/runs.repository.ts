import { Injectable } from '@nestjs/common';
import { newestFirst } from '../../platform/database/newest-first.js';
import { setColumns } from '../../platform/database/set-columns.js';
import { columnsOf, TransactionHost, type Statement } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import { VERDICT_STATUSES, type LeasedRun, type RunRow, type RunTransitionRow, type StepRow } from './run.view.js';

type Columns<R> = Partial<Record<keyof R, unknown>>;

/** A run's steps in the order they run: its steps, then its checks, then its rollback. */
const STEP_ORDER = `CASE list WHEN 'steps' THEN 0 WHEN 'verify' THEN 1 ELSE 2 END, position`;

export interface RunFilters {
  status?: string;
  incidentId?: string;
  patternId?: string;
  agentId?: string;
  capability?: string;
  playbookId?: string;
  trigger?: 'automatic' | 'manual';
  since?: string;
  until?: string;
}

@Injectable()
export class RunsRepository {
  constructor(private readonly tx: TransactionHost) {}

  async insertRun(r: Omit<RunRow, 'created_at' | 'updated_at' | 'started_at' | 'finished_at' | 'lease_until' | 'lease_token' | 'verify_until' | 'cancel_requested_by' | 'recurrence_incident_id' | 'paused_reason' | 'reason'>): Promise<RunRow> {
    const [row] = await this.tx.query<RunRow>(
      `INSERT INTO recovery_runs (id, tenant_id, recovery_id, incident_id, pattern_id, playbook_id, agent_id, capability, automatic, started_by,
                                  status, phase, params, context, deadline_at, due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16) RETURNING *`,
      [r.id, r.tenant_id, r.recovery_id, r.incident_id, r.pattern_id, r.playbook_id, r.agent_id, r.capability, r.automatic, r.started_by,
        r.status, r.phase, JSON.stringify(r.params), JSON.stringify(r.context), r.deadline_at, r.due_at],
    );
    return row;
  }

  async insertSteps(steps: Array<Omit<StepRow, 'updated_at' | 'started_at' | 'finished_at' | 'deadline_at' | 'attempts' | 'output' | 'error' | 'work_order_id' | 'waiting_for'>>): Promise<StepRow[]> {
    if (steps.length === 0) return [];
    const col = <K extends keyof (typeof steps)[number]>(k: K) => steps.map((s) => s[k]);
    return this.tx.query<StepRow>(
      `INSERT INTO recovery_run_steps (run_id, step_id, tenant_id, list, position, kind, runs_as, instruction, actuator, params, condition, run_if,
                                       duration_ms, timeout_ms, max_attempts, status, webhook_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[],
                            $11::text[], $12::text[], $13::int[], $14::int[], $15::int[], $16::text[], $17::text[])
       RETURNING *`,
      [col('run_id'), col('step_id'), col('tenant_id'), col('list'), col('position'), col('kind'), col('runs_as'), col('instruction'), col('actuator'),
        steps.map((s) => JSON.stringify(s.params)), col('condition'), col('run_if'), col('duration_ms'), col('timeout_ms'), col('max_attempts'), col('status'), col('webhook_id')],
    );
  }

  async find(tenantId: string, id: string): Promise<RunRow | null> {
    const [row] = await this.tx.query<RunRow>(`SELECT * FROM recovery_runs WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row ?? null;
  }

  /**
   * Locks the run: every change of a run and its steps happens under this lock. Without a tenant
   * only for a caller the run's own token authenticated (an actuator's late result).
   */
  async lock(tenantId: string | null, id: string): Promise<RunRow | null> {
    const [row] = await this.tx.query<RunRow>(`SELECT * FROM recovery_runs WHERE id = $2 AND ($1::text IS NULL OR tenant_id = $1) FOR UPDATE`, [tenantId, id]);
    return row ?? null;
  }

  /** Locks the run only if this worker's lease on it still holds: a worker whose lease lapsed changes nothing. */
  async lockLeased(id: string, token: string): Promise<LeasedRun | null> {
    // With the database's clock, read once the lock is held: the engine's "now".
    const [row] = await this.tx.query<LeasedRun>(`SELECT *, clock_timestamp() AS locked_at FROM recovery_runs WHERE id = $1 AND lease_token = $2 FOR UPDATE`, [id, token]);
    return row ?? null;
  }

  steps(runId: string): Promise<StepRow[]> {
    return this.tx.query<StepRow>(`SELECT * FROM recovery_run_steps WHERE run_id = $1 ORDER BY ${STEP_ORDER}`, [runId]);
  }

  /** The steps of several runs (a page of a list), by run. */
  async stepsByRun(runIds: string[]): Promise<Map<string, StepRow[]>> {
    const rows = await this.tx.query<StepRow>(`SELECT * FROM recovery_run_steps WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, ${STEP_ORDER}`, [runIds]);
    const byRun = new Map<string, StepRow[]>(runIds.map((id) => [id, []]));
    for (const row of rows) byRun.get(row.run_id)!.push(row);
    return byRun;
  }

  transitions(runId: string): Promise<RunTransitionRow[]> {
    return this.tx.query<RunTransitionRow>(
      `SELECT step_id, from_status, to_status, attempt, output, error, note, created_at FROM recovery_run_transitions WHERE run_id = $1 ORDER BY seq`,
      [runId],
    );
  }

  async updateRun(id: string, set: Columns<RunRow>): Promise<RunRow> {
    const a = setColumns(set, 2);
    const [row] = await this.tx.query<RunRow>(`UPDATE recovery_runs SET ${a.sql} WHERE id = $1 RETURNING *`, [id, ...a.params]);
    return row;
  }

  async updateStep(runId: string, stepId: string, set: Columns<StepRow>): Promise<StepRow> {
    const a = setColumns(set, 3);
    const [row] = await this.tx.query<StepRow>(
      `UPDATE recovery_run_steps SET ${a.sql} WHERE run_id = $1 AND step_id = $2 RETURNING *`,
      [runId, stepId, ...a.params],
    );
    return row;
  }

  /** Written with the transaction's commit, every transition of it in one statement, in the order they happened. */
  insertTransition(t: { tenantId: string; runId: string; stepId: string | null; from: string | null; to: string; attempt?: number | null; output?: unknown; error?: string | null; note?: string | null }): Promise<void> {
    return this.tx.deferWrite(this.writeTransitions, [
      uuidv7(), t.tenantId, t.runId, t.stepId, t.from, t.to, t.attempt ?? null, t.output === undefined ? null : JSON.stringify(t.output), t.error ?? null, t.note ?? null, new Date(),
    ]);
  }

  private readonly writeTransitions = (rows: unknown[][]): Statement[] => [
    {
      sql: `INSERT INTO recovery_run_transitions (id, tenant_id, run_id, step_id, from_status, to_status, attempt, output, error, note, created_at)
            SELECT id, tenant_id, run_id, step_id, from_status, to_status, attempt, output, error, note, created_at
              FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[], $8::jsonb[], $9::text[], $10::text[], $11::timestamptz[])
                   WITH ORDINALITY AS t(id, tenant_id, run_id, step_id, from_status, to_status, attempt, output, error, note, created_at, n)
             ORDER BY n`,
      params: columnsOf(rows),
    },
  ];

  /**
   * Leases up to `limit` runs with work due, runs already under way before new ones (under a
   * backlog, finishing what was started resolves incidents sooner). The claim commits at once:
   * the work itself runs outside any transaction and comes back with the token.
   */
  claimDue(limit: number, leaseMs: number): Promise<Array<{ id: string; lease_token: string }>> {
    return this.tx.query(
      `UPDATE recovery_runs r SET lease_token = gen_random_uuid(), lease_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE r.id IN (SELECT id FROM recovery_runs
                        WHERE due_at <= now() AND (lease_until IS NULL OR lease_until < now())
                        ORDER BY status = 'queued', due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING r.id, r.lease_token`,
      [limit, leaseMs],
    );
  }

  /**
   * How long until the next run falls due, by the database's clock (the one `claimDue` compares
   * with; null: none scheduled), so the engine can sleep until then. Leased runs are their worker's.
   */
  async msUntilNextDue(): Promise<number | null> {
    const [row] = await this.tx.query<{ ms: number | null }>(
      `SELECT greatest(0, extract(epoch FROM min(due_at) - now()) * 1000)::double precision AS ms
         FROM recovery_runs WHERE due_at IS NOT NULL AND (lease_until IS NULL OR lease_until < now())`,
    );
    return row?.ms ?? null;
  }

  /** Gives claims back unused. */
  async release(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.tx.query(`UPDATE recovery_runs SET lease_token = NULL, lease_until = NULL WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Another run of the same incident still under way (its incident stays mitigating). */
  async otherActiveRun(run: RunRow): Promise<boolean> {
    const rows = await this.tx.query(
      `SELECT 1 FROM recovery_runs WHERE tenant_id = $1 AND incident_id = $2 AND id <> $3 AND finished_at IS NULL LIMIT 1`,
      [run.tenant_id, run.incident_id, run.id],
    );
    return rows.length > 0;
  }

  /** Makes a run due now (by the database's clock), setting `set` with it: the engine takes it on from here. */
  async makeDue(id: string, set: Columns<RunRow> = {}): Promise<RunRow> {
    const a = setColumns(set, 2);
    const [row] = await this.tx.query<RunRow>(`UPDATE recovery_runs SET ${a.sql}, due_at = now() WHERE id = $1 RETURNING *`, [id, ...a.params]);
    return row;
  }

  async list(tenantId: string, f: RunFilters, cursor: Cursor | null, limit: number): Promise<RunRow[]> {
    const q = newestFirst('recovery_runs', tenantId, [
      ['status = ?', f.status], ['incident_id = ?', f.incidentId], ['pattern_id = ?', f.patternId], ['agent_id = ?', f.agentId],
      ['capability = ?', f.capability], ['playbook_id = ?', f.playbookId], ['automatic = ?', f.trigger ? f.trigger === 'automatic' : undefined],
      ['created_at >= ?', f.since], ['created_at < ?', f.until],
    ], cursor, limit);
    return this.tx.query<RunRow>(q.sql, q.params);
  }

  /**
   * A new incident of the pattern on the same agent and capability: every run of that pattern
   * there that is verifying, and whose window has not ended (a backlogged engine may not have
   * moved it on yet), learns of it; the engine fails them. Returns how many.
   */
  async noteRecurrence(r: { tenantId: string; patternId: string; agentId: string | null; capability: string | null; incidentId: string; reportedAt: Date }): Promise<number> {
    const rows = await this.tx.query(
      `UPDATE recovery_runs SET recurrence_incident_id = $5, due_at = now(), updated_at = now()
        WHERE tenant_id = $1 AND pattern_id = $2 AND agent_id IS NOT DISTINCT FROM $3 AND capability IS NOT DISTINCT FROM $4
          AND (phase = 'verify' OR (phase = 'watch' AND verify_until > now()))
          AND recurrence_incident_id IS NULL AND incident_id IS DISTINCT FROM $5
          AND started_at < $6 -- an incident from before the fix (delivered late) is not a recurrence
        RETURNING id`,
      [r.tenantId, r.patternId, r.agentId, r.capability, r.incidentId, r.reportedAt],
    );
    return rows.length;
  }

  /** The pattern's verified success rate: succeeded ÷ runs with a verdict (DESIGN §8 "Learning"); null with none. */
  async verifiedSuccessRate(tenantId: string, patternId: string): Promise<number | null> {
    // A run that failed is a verdict at once, while its rollback still runs (it may wait on a person).
    const [row] = await this.tx.query<{ succeeded: number; finished: number }>(
      `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = ANY($3::text[]))::int AS finished
         FROM recovery_runs WHERE tenant_id = $1 AND pattern_id = $2`,
      [tenantId, patternId, VERDICT_STATUSES],
    );
    return row.finished === 0 ? null : row.succeeded / row.finished;
  }
}
