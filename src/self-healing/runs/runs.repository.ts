import { Injectable } from '@nestjs/common';
import { withLockTime } from '../../platform/database/lock-time.js';
import { newestFirst } from '../../platform/database/newest-first.js';
import { inOneSnapshot } from '../../platform/database/one-snapshot.js';
import { setColumns } from '../../platform/database/set-columns.js';
import {
  columnsOf,
  TransactionHost,
  type DeferredWriter,
  type Statement,
} from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import { RUN_ENGINE_CHANNEL } from './run-wakeups.js';
import {
  ACTIVE_PHASES,
  FINISHED_STEP,
  type LeasedRun,
  type RunRow,
  type RunTransitionRow,
  type StepRow,
  type StepStatus,
} from './run.view.js';

type Columns<R> = Partial<Record<keyof R, unknown>>;

/** A finished step takes no late result: the secrets its calls carried (StepCallSecrets) are not kept past it. */
const stepChange = (set: Columns<StepRow>): Columns<StepRow> =>
  FINISHED_STEP.includes(set.status as StepStatus) ? { ...set, call_secrets_sealed: null } : set;

/** A run whose fix is applied and that has not yet heard of a recurrence, with `$at` inside its window (still open while it verifies). */
const WATCHING_AT = (at: string) =>
  `phase IN ('verify', 'watch') AND recurrence_incident_id IS NULL AND coalesce(verify_from, started_at) <= ${at} AND (verify_until IS NULL OR ${at} < verify_until)`;

const RUN_CHANGES = Symbol('run changes at commit');
const STEP_CHANGES = Symbol('step changes at commit');

/** Columns of one row (its key) to set at commit; the last value set for a column wins. */
interface PendingChange {
  key: unknown[];
  set: Record<string, unknown>;
}

/** `UPDATE … SET` the change's columns (in a fixed order: one prepared statement per set of columns) `WHERE` its key. */
function updateStatement(table: string, keyColumns: string[], c: PendingChange): Statement {
  const set = Object.fromEntries(
    Object.keys(c.set)
      .sort()
      .map((k) => [k, c.set[k]]),
  );
  const a = setColumns(set, keyColumns.length + 1);
  const where = keyColumns.map((k, i) => `${k} = $${i + 1}`).join(' AND ');
  return { sql: `UPDATE ${table} SET ${a.sql} WHERE ${where}`, params: [...c.key, ...a.params] };
}

/** Values as a read of the row would give them back: JSON as parsed from jsonb, nothing undefined. */
function asStored(set: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set))
    out[k] =
      v === undefined
        ? null
        : typeof v === 'object' && v !== null && !(v instanceof Date)
          ? JSON.parse(JSON.stringify(v))
          : v;
  return out;
}

/** A run's steps in the order they run: its steps, then its checks, then its rollback. */
const STEP_ORDER = `CASE list WHEN 'steps' THEN 0 WHEN 'verify' THEN 1 ELSE 2 END, position`;

/** A run the engine leased: its token proves the lease in every later transaction. */
export interface ClaimedRun {
  id: string;
  tenant_id: string;
  lease_token: string;
}

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

  /**
   * Stores a new run. Its times are the database's clock when it is stored (ADR 0008 §10), never
   * this host's: `deadline_at` is `timeout_ms` from then; leased (a hand-over, ADR 0008 §12), the
   * lease lasts `lease.ms` from then and the run is due again when it lapses, as a claim leaves it;
   * else it is due at once. A host whose clock is ahead would otherwise store a run no claim takes
   * until its clock's time, and one behind a lease already lapsed.
   */
  async insertRun(
    r: Pick<
      RunRow,
      | 'id'
      | 'tenant_id'
      | 'recovery_id'
      | 'incident_id'
      | 'pattern_id'
      | 'playbook_id'
      | 'agent_id'
      | 'capability'
      | 'automatic'
      | 'started_by'
      | 'status'
      | 'phase'
      | 'params'
      | 'context'
      | 'await_resolution'
      | 'on_failure'
    > & { timeout_ms: number; lease: { token: string; ms: number } | null },
  ): Promise<RunRow> {
    // statement_timestamp(): one time for the whole statement, read when the database receives it.
    const [row] = await this.tx.query<RunRow>(
      `INSERT INTO recovery_runs (id, tenant_id, recovery_id, incident_id, pattern_id, playbook_id, agent_id, capability, automatic, started_by,
                                  status, phase, params, context, deadline_at, due_at, await_resolution, on_failure, lease_token, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb,
               statement_timestamp() + make_interval(secs => $15::double precision / 1000),
               statement_timestamp() + make_interval(secs => coalesce($19::double precision, 0) / 1000),
               $16, $17, $18, statement_timestamp() + make_interval(secs => $19::double precision / 1000)) RETURNING *`,
      [
        r.id,
        r.tenant_id,
        r.recovery_id,
        r.incident_id,
        r.pattern_id,
        r.playbook_id,
        r.agent_id,
        r.capability,
        r.automatic,
        r.started_by,
        r.status,
        r.phase,
        JSON.stringify(r.params),
        JSON.stringify(r.context),
        r.timeout_ms,
        r.await_resolution,
        r.on_failure,
        r.lease?.token ?? null,
        r.lease?.ms ?? null,
      ],
    );
    return row;
  }

  async insertSteps(
    steps: Array<
      Omit<
        StepRow,
        | 'updated_at'
        | 'started_at'
        | 'finished_at'
        | 'deadline_at'
        | 'attempts'
        | 'interrupted_calls'
        | 'cut_off_calls'
        | 'call_secrets_sealed'
        | 'output'
        | 'error'
        | 'work_order_id'
        | 'waiting_for'
      >
    >,
  ): Promise<StepRow[]> {
    if (steps.length === 0) return [];
    const col = <K extends keyof (typeof steps)[number]>(k: K) => steps.map((s) => s[k]);
    return this.tx.query<StepRow>(
      `INSERT INTO recovery_run_steps (run_id, step_id, tenant_id, list, position, kind, runs_as, instruction, actuator, params, condition, run_if,
                                       duration_ms, timeout_ms, max_attempts, status, webhook_id, canary)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[],
                            $11::text[], $12::text[], $13::int[], $14::int[], $15::int[], $16::text[], $17::text[],
                            $18::jsonb[])
       RETURNING *`,
      [
        col('run_id'),
        col('step_id'),
        col('tenant_id'),
        col('list'),
        col('position'),
        col('kind'),
        col('runs_as'),
        col('instruction'),
        col('actuator'),
        steps.map((s) => JSON.stringify(s.params)),
        col('condition'),
        col('run_if'),
        col('duration_ms'),
        col('timeout_ms'),
        col('max_attempts'),
        col('status'),
        col('webhook_id'),
        steps.map((s) => (s.canary ? JSON.stringify(s.canary) : null)),
      ],
    );
  }

  async find(tenantId: string, id: string): Promise<RunRow | null> {
    const [row] = await this.tx.query<RunRow>(`SELECT * FROM recovery_runs WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row ?? null;
  }

  /**
   * A run, its steps and its history as of one moment: read in one snapshot, so a turn that
   * commits meanwhile shows wholly or not at all (never a run older than its steps).
   */
  findWhole(
    tenantId: string,
    id: string,
  ): Promise<{ run: RunRow; steps: StepRow[]; transitions: RunTransitionRow[] } | null> {
    return inOneSnapshot(this.tx, async () => {
      const [run, steps, transitions] = await Promise.all([
        this.find(tenantId, id),
        this.steps(id),
        this.transitions(id),
      ]);
      return run ? { run, steps, transitions } : null;
    });
  }

  /** The incident's runs, oldest first. */
  listOfIncident(tenantId: string, incidentId: string): Promise<RunRow[]> {
    return this.tx.query<RunRow>(
      `SELECT * FROM recovery_runs WHERE tenant_id = $1 AND incident_id = $2 ORDER BY created_at, id`,
      [tenantId, incidentId],
    );
  }

  /**
   * Locks the run: every change of a run and its steps happens under this lock. Without a tenant
   * only for a caller the run's own token authenticated (an actuator's late result). `locked_at`
   * is the database's time once the lock is held (withLockTime): what a change is stamped with.
   */
  async lock(tenantId: string | null, id: string): Promise<(RunRow & { locked_at: Date }) | null> {
    const [row] = await this.tx.query<RunRow & { locked_at: Date }>(
      withLockTime(`SELECT * FROM recovery_runs WHERE id = $2 AND ($1::text IS NULL OR tenant_id = $1) FOR UPDATE`),
      [tenantId, id],
    );
    return row ?? null;
  }

  /** Locks the run only if this worker's lease on it still holds: a worker whose lease lapsed changes nothing. */
  async lockLeased(id: string, token: string): Promise<LeasedRun | null> {
    // With the database's clock, read once the lock is held (withLockTime): the engine's "now".
    const [row] = await this.tx.query<LeasedRun>(
      withLockTime(`SELECT * FROM recovery_runs WHERE id = $1 AND lease_token = $2 FOR UPDATE`),
      [id, token],
    );
    return row ?? null;
  }

  steps(runId: string): Promise<StepRow[]> {
    return this.tx.query<StepRow>(`SELECT * FROM recovery_run_steps WHERE run_id = $1 ORDER BY ${STEP_ORDER}`, [runId]);
  }

  /** The steps of several runs (a page of a list), by run. */
  async stepsByRun(runIds: string[]): Promise<Map<string, StepRow[]>> {
    const rows = await this.tx.query<StepRow>(
      `SELECT * FROM recovery_run_steps WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, ${STEP_ORDER}`,
      [runIds],
    );
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

  /**
   * A change of a run this transaction has locked, written with its COMMIT: however often a turn
   * changes the run, its row gets one UPDATE, and the turn waits for no round trip per change
   * (ADR 0008 §13). Returns the row as it will be stored. Only for a locked row that nothing in
   * the transaction reads back with SQL.
   */
  async changeRunAtCommit<R extends RunRow>(run: R, set: Columns<RunRow>): Promise<R> {
    await this.changeAtCommit(RUN_CHANGES, run.id, [run.id], this.writeRunChanges, set);
    return { ...run, ...asStored(set) };
  }

  /** The same for one of its steps. */
  async changeStepAtCommit(step: StepRow, set: Columns<StepRow>): Promise<StepRow> {
    const key = [step.run_id, step.step_id];
    const change = stepChange(set);
    await this.changeAtCommit(STEP_CHANGES, key.join(' '), key, this.writeStepChanges, change);
    return { ...step, ...asStored(change) };
  }

  private async changeAtCommit(
    slot: symbol,
    id: string,
    key: unknown[],
    writer: DeferredWriter<PendingChange>,
    set: Record<string, unknown>,
  ): Promise<void> {
    // The first change of the row in this transaction queues it; later ones add to the same row, written as it is at commit.
    const pending = await this.tx.once(slot, id, async () => {
      const change: PendingChange = { key, set: {} };
      await this.tx.deferWrite(writer, change);
      return change;
    });
    Object.assign(pending.set, set);
  }

  private readonly writeRunChanges = (changes: PendingChange[]): Statement[] =>
    changes.map((c) => updateStatement('recovery_runs', ['id'], c));

  private readonly writeStepChanges = (changes: PendingChange[]): Statement[] =>
    changes.map((c) => updateStatement('recovery_run_steps', ['run_id', 'step_id'], c));

  async updateStep(runId: string, stepId: string, set: Columns<StepRow>): Promise<StepRow> {
    const a = setColumns(stepChange(set), 3);
    const [row] = await this.tx.query<StepRow>(
      `UPDATE recovery_run_steps SET ${a.sql} WHERE run_id = $1 AND step_id = $2 RETURNING *`,
      [runId, stepId, ...a.params],
    );
    return row;
  }

  /**
   * Written with the transaction's commit, every transition of it in one statement, in the order they
   * happened. `at`: when, by the database's clock (the turn's `locked_at`), as the steps' times are.
   */
  insertTransition(t: {
    at: Date;
    tenantId: string;
    runId: string;
    stepId: string | null;
    from: string | null;
    to: string;
    attempt?: number | null;
    output?: unknown;
    error?: string | null;
    note?: string | null;
  }): Promise<void> {
    return this.tx.deferWrite(this.writeTransitions, [
      uuidv7(),
      t.tenantId,
      t.runId,
      t.stepId,
      t.from,
      t.to,
      t.attempt ?? null,
      t.output === undefined ? null : JSON.stringify(t.output),
      t.error ?? null,
      t.note ?? null,
      t.at,
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
   * Leases up to `limit` runs with work due, fairly between tenants (ADR 0008 §12): every tenant
   * with work due gets its first run before any gets a second, and so on (within a tenant, runs
   * under way before new ones, then by due time: under a backlog, finishing what was started
   * resolves incidents sooner). A tenant gets at most `room` runs here, or what `held` leaves it:
   * the runs this replica already holds for it. The claim commits at once: the work itself runs
   * outside any transaction and comes back with the token. A claimed run is due again when its
   * claim's lease lapses (its worker's turn sets the next wake-up): runs being worked on are not
   * in the way of the next claim's index scans, and one whose worker died is taken over.
   */
  claimDue(limit: number, leaseMs: number, room: number, held: ReadonlyMap<string, number>): Promise<ClaimedRun[]> {
    // The tenants with work due, one index probe each (a loose index scan), then each one's first runs.
    return this.tx.query<ClaimedRun>(
      `WITH RECURSIVE due_tenants AS (
         (SELECT tenant_id FROM recovery_runs WHERE due_at <= now() ORDER BY tenant_id LIMIT 1)
         UNION ALL
         SELECT (SELECT r.tenant_id FROM recovery_runs r WHERE r.due_at <= now() AND r.tenant_id > d.tenant_id ORDER BY r.tenant_id LIMIT 1)
           FROM due_tenants d WHERE d.tenant_id IS NOT NULL
       ), held AS (
         SELECT * FROM unnest($4::text[], $5::int[]) AS h(tenant_id, runs)
       ), candidates AS (
         SELECT c.id FROM due_tenants d
          CROSS JOIN LATERAL (
            SELECT r.id, r.due_at, row_number() OVER (ORDER BY r.status = 'queued', r.due_at) AS turn
              FROM recovery_runs r
             WHERE r.tenant_id = d.tenant_id AND r.due_at <= now() AND (r.lease_until IS NULL OR r.lease_until < now())
             ORDER BY r.status = 'queued', r.due_at
             LIMIT greatest(0, $3 - coalesce((SELECT h.runs FROM held h WHERE h.tenant_id = d.tenant_id), 0))
          ) c
          WHERE d.tenant_id IS NOT NULL
          ORDER BY c.turn, c.due_at
          LIMIT $1
       )
       UPDATE recovery_runs r SET lease_token = gen_random_uuid(), lease_until = now() + make_interval(secs => $2::double precision / 1000),
                                  due_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE r.id IN (SELECT id FROM recovery_runs
                        WHERE id IN (SELECT id FROM candidates) AND due_at <= now() AND (lease_until IS NULL OR lease_until < now())
                        FOR UPDATE SKIP LOCKED)
        RETURNING r.id, r.tenant_id, r.lease_token`,
      [limit, leaseMs, room, [...held.keys()], [...held.values()]],
    );
  }

  /**
   * How long until the next run falls due, by the database's clock (the one `claimDue` compares
   * with; null: none scheduled), so the engine can sleep until then. Leased runs are their worker's, and
   * `exceptTenants`' runs are left out: the engine cannot claim them now (they are at its cap).
   */
  async msUntilNextDue(exceptTenants: string[] = []): Promise<number | null> {
    // Not greatest(0, …) in SQL: GREATEST skips a NULL, so "no run waits" became "one is due now",
    // and an idle engine claimed and looked up again every millisecond or so.
    // Without tenants to leave out (the usual case), a statement without parameters: planned once,
    // and min() read off the due index, which a plan for "any array" cannot do (ADR 0005).
    const [row] = await this.tx.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(due_at) - now()) * 1000)::double precision AS ms
         FROM recovery_runs WHERE due_at IS NOT NULL AND (lease_until IS NULL OR lease_until < now())${
           exceptTenants.length > 0 ? ' AND tenant_id <> ALL($1::text[])' : ''
         }`,
      exceptTenants.length > 0 ? [exceptTenants] : [],
    );
    return row?.ms == null ? null : Math.max(0, row.ms);
  }

  /**
   * Gives claims back unused, each only while its lease is still this worker's: a claim whose
   * lease lapsed meanwhile may be another worker's now, and must not be taken from it.
   */
  async release(claims: Array<Pick<ClaimedRun, 'id' | 'lease_token'>>): Promise<void> {
    if (claims.length > 0)
      await this.tx.query(
        `UPDATE recovery_runs r SET lease_token = NULL, lease_until = NULL, due_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS c(id, lease_token)
          WHERE r.id = c.id AND r.lease_token = c.lease_token`,
        [claims.map((c) => c.id), claims.map((c) => c.lease_token)],
      );
  }

  /** Another run of the same incident still trying to fix it (its incident stays mitigating); a rollback is not trying. */
  async otherActiveRun(run: RunRow): Promise<boolean> {
    const rows = await this.tx.query(
      `SELECT 1 FROM recovery_runs WHERE tenant_id = $1 AND incident_id = $2 AND id <> $3 AND phase = ANY($4::text[]) LIMIT 1`,
      [run.tenant_id, run.incident_id, run.id, ACTIVE_PHASES],
    );
    return rows.length > 0;
  }

  /** Makes a run due now (by the database's clock), setting `set` with it: the engine takes it on from here. */
  async makeDue(id: string, set: Columns<RunRow> = {}): Promise<RunRow> {
    const a = setColumns(set, 2);
    const [row] = await this.tx.query<RunRow>(
      `UPDATE recovery_runs SET ${a.sql}, due_at = now() WHERE id = $1 RETURNING *`,
      [id, ...a.params],
    );
    return row;
  }

  async list(tenantId: string, f: RunFilters, cursor: Cursor | null, limit: number): Promise<RunRow[]> {
    const q = newestFirst({
      table: 'recovery_runs',
      tenantId,
      conditions: [
        ['status = ?', f.status],
        ['incident_id = ?', f.incidentId],
        ['pattern_id = ?', f.patternId],
        ['agent_id = ?', f.agentId],
        ['capability = ?', f.capability],
        ['playbook_id = ?', f.playbookId],
        ['automatic = ?', f.trigger ? f.trigger === 'automatic' : undefined],
        ['created_at >= ?', f.since],
        ['created_at < ?', f.until],
      ],
      cursor,
      limit,
    });
    return this.tx.query<RunRow>(q.sql, q.params);
  }

  /**
   * A new incident of the pattern on the same agent and capability that occurred inside a run's
   * window (from when its steps were through to `verify_until`; still open while it verifies):
   * the run learns of it, however late this is processed, and the engine fails it. Judged by
   * `occurredAt`, so an incident from before the fix (delivered late) is no recurrence.
   *
   * Written with the transaction's commit, for all of its incidents in one statement (bridge 2
   * handles a batch of them): no round trip of its own, and through an index of the runs that are
   * watching, so an incident whose pattern has none costs next to nothing. A run it marks wakes
   * the engines (a NOTIFY, rare: only a recurrence sends one).
   */
  noteRecurrenceAtCommit(r: {
    tenantId: string;
    patternId: string;
    agentId: string | null;
    capability: string | null;
    incidentId: string;
    occurredAt: Date;
  }): Promise<void> {
    const reason =
      `recurrence: incident ${r.incidentId} of the same pattern on the same agent occurred at ` +
      `${r.occurredAt.toISOString()}, inside the verification window`;
    const row = [r.tenantId, r.patternId, r.agentId, r.capability, r.incidentId, r.occurredAt, reason];
    return this.tx.deferWrite(this.writeRecurrences, row);
  }

  private readonly writeRecurrences = (rows: unknown[][]): Statement[] => [
    {
      // A run two of them recur in takes either: any recurrence fails it.
      sql: `UPDATE recovery_runs SET recurrence_incident_id = n.incident_id, recurrence_reason = n.reason, due_at = now(), updated_at = now()
              FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[], $7::text[])
                   AS n(tenant_id, pattern_id, agent_id, capability, incident_id, occurred_at, reason)
             WHERE recovery_runs.tenant_id = n.tenant_id AND recovery_runs.pattern_id = n.pattern_id
               AND recovery_runs.agent_id IS NOT DISTINCT FROM n.agent_id AND recovery_runs.capability IS NOT DISTINCT FROM n.capability
               AND recovery_runs.incident_id IS DISTINCT FROM n.incident_id AND ${WATCHING_AT('n.occurred_at')}
            RETURNING pg_notify('${RUN_ENGINE_CHANNEL}', '')`,
      params: columnsOf(rows),
    },
  ];

  /** The incident's alert fired again (an Alertmanager repeat) after a run's fix was applied and before its window ended: that run fails. */
  async noteAlertRepeat(r: { tenantId: string; incidentId: string; seenAt: Date }): Promise<number> {
    const rows = await this.tx.query(
      `UPDATE recovery_runs SET recurrence_incident_id = $2, due_at = now(), updated_at = now(),
              recurrence_reason = $4
        WHERE tenant_id = $1 AND incident_id = $2 AND ${WATCHING_AT('$3')}
        RETURNING id`,
      [
        r.tenantId,
        r.incidentId,
        r.seenAt,
        `recurrence: the incident's alert fired again at ${r.seenAt.toISOString()}, after the fix`,
      ],
    );
    return rows.length;
  }

  /**
   * Deletes up to `batch` transitions of runs that finished more than `days` ago. Transition ids
   * are time-ordered (UUID v7): the primary key is walked from the oldest up to the cut-off.
   */
  async pruneTransitions(days: number, batch = 5000): Promise<number> {
    const rows = await this.tx.queryOutside(
      `DELETE FROM recovery_run_transitions WHERE id IN (
         SELECT t.id FROM recovery_run_transitions t JOIN recovery_runs r ON r.id = t.run_id
          WHERE t.id < (SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8000-000000000000')::uuid
                          FROM lpad(to_hex((extract(epoch FROM now() - make_interval(days => $1)) * 1000)::bigint), 12, '0') AS h)
            AND r.finished_at < now() - make_interval(days => $1)
          ORDER BY t.id LIMIT $2)
       RETURNING 1`,
      [days, batch],
    );
    return rows.length;
  }

  /** A pattern merge: the survivor takes the merged patterns' runs, so their verdicts, cooldowns and watch windows count for it. */
  async movePattern(tenantId: string, fromPatternIds: string[], toPatternId: string): Promise<void> {
    await this.tx.query(
      `UPDATE recovery_runs SET pattern_id = $2 WHERE tenant_id = $1 AND pattern_id = ANY($3::uuid[])`,
      [tenantId, toPatternId, fromPatternIds],
    );
  }

  /** The kill switch is off for this tenant (or agent): its paused runs are due now. */
  async wakePaused(tenantId: string, agentId: string | null): Promise<number> {
    const rows = await this.tx.query(
      `UPDATE recovery_runs SET due_at = now() WHERE tenant_id = $1 AND paused_reason IS NOT NULL AND phase <> 'done' AND ($2::text IS NULL OR agent_id = $2) RETURNING id`,
      [tenantId, agentId],
    );
    return rows.length;
  }
}
