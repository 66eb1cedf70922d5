import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { KILL_SWITCH_PAUSE_NOTE } from '../runs/engine/run-advancer.js';
import { WAITING_WORK_KINDS, type LongestWaiting, type WaitingWorkKind } from './waiting-work.view.js';

/** One waiting thing as the queries below read it (their columns, in this order). */
export interface WaitingRow {
  kind: WaitingWorkKind;
  subject_type: 'pattern' | 'run' | 'recovery' | 'work_order';
  subject_id: string;
  step_id: string | null;
  since: Date;
  deadline: Date | null;
  severity: string | null;
  incident_ids: string[];
  agent_id: string | null;
  capability: string | null;
  playbook: string | null;
  text: string;
  detail: string;
  count: number;
  /** How many of this kind wait (the same on every row of a kind). */
  total: number;
}

const incidentOf = (column: string) => `CASE WHEN ${column} IS NULL THEN '{}'::text[] ELSE ARRAY[${column}::text] END`;
const runSeverity = `run.context -> 'incident' ->> 'severity'`;
/** A group's value of `column` when every row has the same one (null: several, or one without). */
const theOne = (column: string) =>
  `CASE WHEN count(${column}) = count(*) AND min(${column}) = max(${column}) THEN min(${column}) END`;

/** An operator_step item's columns, from a step `s` and its run `run`. */
const OPERATOR_STEP_COLUMNS = `
  'operator_step' AS kind, 'run' AS subject_type, run.id::text AS subject_id, s.step_id,
  coalesce(s.finished_at, s.started_at, s.updated_at) AS since, s.deadline_at AS deadline, ${runSeverity} AS severity,
  ${incidentOf('run.incident_id')} AS incident_ids, run.agent_id, run.capability, run.playbook_id AS playbook,
  CASE WHEN s.status = 'awaiting_operator' THEN s.instruction ELSE coalesce(s.error, s.status) END AS text,
  CASE WHEN s.status = 'awaiting_operator' THEN s.list ELSE 'paused' END AS detail, 1 AS count`;

/**
 * What of each kind waits (`$1` the tenant), in WaitingRow's columns but `total`, unordered. What
 * "waiting" means is said here and only here: statuses and phases change with the run engine
 * (issue 22), and this file with them.
 */
const WAITING: Record<WaitingWorkKind, string> = {
  // Recoveries awaiting review, one item per pattern; those a guardrail held are guardrail_hold.
  // The group's agent and capability when all its recoveries share one (else null: several).
  review: `
    SELECT 'review' AS kind, 'pattern' AS subject_type, r.source_pattern_id::text AS subject_id, NULL AS step_id,
           -- The first of the group to expire (each has its own expires_at, which an operator may move).
           min(r.created_at) AS since, min(r.expires_at) AS deadline, NULL AS severity,
           array_agg(DISTINCT r.source_incident_id::text) AS incident_ids,
           ${theOne('r.agent_id')} AS agent_id, ${theOne('r.capability')} AS capability,
           (array_agg(r.playbook_id ORDER BY r.created_at))[1] AS playbook, p.template AS text, p.error_type AS detail,
           count(*)::int AS count
      FROM recovery_candidates r JOIN failure_patterns p ON p.id = r.source_pattern_id
     WHERE r.tenant_id = $1 AND r.status = 'pending_review' AND r.held_by IS NULL
     GROUP BY r.source_pattern_id, p.template, p.error_type`,
  // Steps waiting for a person, in any list (a rollback's too), and the failed step a run is
  // paused on (retry, skip or roll back: DESIGN §13; the same condition as run.view's pausedOn).
  // Two halves, each through an index of only what waits, not through the tenant's history.
  operator_step: `
    SELECT ${OPERATOR_STEP_COLUMNS}
      FROM recovery_run_steps s JOIN recovery_runs run ON run.id = s.run_id
     WHERE s.tenant_id = $1 AND s.status = 'awaiting_operator'
    UNION ALL
    SELECT ${OPERATOR_STEP_COLUMNS}
      FROM recovery_runs run JOIN recovery_run_steps s ON s.run_id = run.id
     WHERE run.tenant_id = $1 AND run.status = 'awaiting_operator'
       AND run.phase IN ('steps', 'verify') AND run.on_failure = 'pause'
       AND run.rollback_requested_by IS NULL AND run.cancel_requested_by IS NULL
       AND s.status IN ('failed', 'timed_out') AND s.list <> 'rollback' AND s.runs_as NOT IN ('manual', 'escalate')`,
  // A trusted recovery a guardrail sent to review; an automatic run the kill switch paused (and
  // that waits for nobody else: one waiting for its operator is an operator_step already).
  guardrail_hold: `
    SELECT 'guardrail_hold' AS kind, 'recovery' AS subject_type, r.id::text AS subject_id, NULL AS step_id,
           r.created_at AS since, r.expires_at AS deadline, NULL AS severity,
           ARRAY[r.source_incident_id::text] AS incident_ids, r.agent_id, r.capability,
           r.playbook_id AS playbook, r.held_by AS text, 'guardrail' AS detail, 1 AS count
      FROM recovery_candidates r
     WHERE r.tenant_id = $1 AND r.status = 'pending_review' AND r.held_by IS NOT NULL
    UNION ALL
    SELECT 'guardrail_hold', 'run', run.id::text, NULL, coalesce(paused.at, run.updated_at), run.deadline_at,
           ${runSeverity}, ${incidentOf('run.incident_id')}, run.agent_id, run.capability, run.playbook_id,
           run.paused_reason, 'kill_switch', 1
      FROM recovery_runs run
      -- Since when it is paused: the pause's transition (the run's updated_at moves at every re-check).
      LEFT JOIN LATERAL (
        SELECT max(t.created_at) AS at FROM recovery_run_transitions t
         WHERE t.run_id = run.id AND t.note = '${KILL_SWITCH_PAUSE_NOTE}') paused ON true
     WHERE run.tenant_id = $1 AND run.finished_at IS NULL AND run.paused_reason IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = run.id AND s.status = 'awaiting_operator')`,
  // Failed work orders, and those whose claim lapsed (the sweeper returns them to the queue:
  // they wait for a coding agent that already dropped them once). A failed one waits on its
  // incident: until IncidentResolved reaches self-healing (incident_resolved_at; the inbox drops
  // the listed ones of an incident resolved in between); one without (a POST /patches/trigger
  // run's) only until its run, which the failure fails (DESIGN §9), has finished: after that
  // nothing is left to do about it (a failed order is never claimed again, nor canceled). Nor
  // is anything about one whose claim lapsed once its incident is resolved.
  work_order: `
    SELECT 'work_order' AS kind, 'work_order' AS subject_type, w.id::text AS subject_id, NULL AS step_id,
           -- A lapsed claim waits since it expired, before and after the sweeper returns the order to
           -- the queue (its transition keeps expiredAt): a snooze set in between still holds.
           CASE WHEN w.status = 'failed' THEN coalesce(w.finished_at, w.updated_at)
                ELSE coalesce(w.claim_expires_at, lapse.at, w.updated_at) END AS since,
           NULL::timestamptz AS deadline, w.priority AS severity, ${incidentOf('w.incident_id')} AS incident_ids,
           w.context -> 'affectedAgents' ->> 0 AS agent_id, w.context -> 'capabilities' ->> 0 AS capability,
           NULL AS playbook,
           w.description AS text, CASE WHEN w.status = 'failed' THEN 'failed' ELSE 'stuck' END AS detail, 1 AS count
      FROM work_orders w
      LEFT JOIN LATERAL (
        SELECT max(coalesce((t.details ->> 'expiredAt')::timestamptz, t.created_at)) AS at FROM work_order_transitions t
         WHERE t.work_order_id = w.id AND t.to_status = 'queued'
           AND t.from_status IN ('claimed', 'in_progress')) lapse
        ON w.status = 'queued'
     WHERE w.tenant_id = $1 AND w.status IN ('failed', 'queued', 'claimed', 'in_progress')
       AND w.incident_resolved_at IS NULL
       AND ((w.status = 'failed'
             AND (w.incident_id IS NOT NULL
                  OR EXISTS (SELECT 1 FROM recovery_runs run WHERE run.id = w.run_id AND run.finished_at IS NULL)))
            OR (w.status <> 'queued' AND w.claim_expires_at <= now())
            OR (w.status = 'queued' AND lapse.at IS NOT NULL))`,
};

const byKind = (sql: (waiting: string) => string) =>
  Object.fromEntries(WAITING_WORK_KINDS.map((kind) => [kind, sql(WAITING[kind])])) as Record<WaitingWorkKind, string>;

/**
 * Each kind's newest waiting things (the inbox), `$1` the tenant and `$2` the limit, each row
 * with how many wait. Exported for the test that reads their plans.
 */
export const WAITING_WORK_SQL = byKind(
  (waiting) => `SELECT *, (count(*) OVER ())::int AS total FROM (${waiting}) w ORDER BY since DESC LIMIT $2`,
);

/**
 * Each kind's oldest waiting things that have waited at least `$3` ms (by the database's clock),
 * after the position `($4 since, $5 subject id, $6 step id or '')`, `$1` the tenant and `$2` the
 * limit, each row with how many such wait from that position on (those of this page included).
 */
const LONGEST_WAITING_SQL = byKind(
  (waiting) => `
    SELECT *, (count(*) OVER ())::int AS total FROM (${waiting}) w
     WHERE since <= now() - make_interval(secs => $3::double precision / 1000)
       AND (since, subject_id, coalesce(step_id, '')) > ($4::timestamptz, $5::text, $6::text)
     ORDER BY since, subject_id, coalesce(step_id, '') LIMIT $2`,
);

/**
 * What of each kind waits about some subjects (`$2` their ids, as text), `$1` the tenant, newest
 * first, each row with how many such wait: inbox items looked up by their ids, however much else of
 * their kind waits (the kind's newest, which the inbox lists, may not include them). Unlimited: a
 * subject is one row of a kind (a run: its steps waiting for a person, a few).
 */
const ABOUT_SUBJECTS_SQL = byKind(
  (waiting) => `
    SELECT *, (count(*) OVER ())::int AS total FROM (${waiting}) w
     WHERE subject_id = ANY ($2::text[]) ORDER BY since DESC`,
);

/** Cross-table reads of self-healing's own tables: what waits for a person. */
@Injectable()
export class WaitingWorkReadModel {
  constructor(private readonly tx: TransactionHost) {}

  /** Each kind's newest `limitPerKind`; or, with `longest`, its longest waiting from each kind's position on. */
  async list(
    tenantId: string,
    kinds: readonly WaitingWorkKind[],
    limitPerKind: number,
    longest?: LongestWaiting,
  ): Promise<WaitingRow[]> {
    const perKind = await Promise.all(
      kinds.map((kind) => {
        if (!longest) return this.tx.query<WaitingRow>(WAITING_WORK_SQL[kind], [tenantId, limitPerKind]);
        const from = longest.after?.[kind];
        return this.tx.query<WaitingRow>(LONGEST_WAITING_SQL[kind], [
          tenantId,
          limitPerKind,
          longest.waitedAtLeastMs,
          from?.since ?? '-infinity',
          from?.subjectId ?? '',
          from?.stepId ?? '',
        ]);
      }),
    );
    return perKind.flat();
  }

  /** What of `kinds` waits about the subjects `subjectIds` (a step's run: each of its waiting steps). */
  async about(
    tenantId: string,
    kinds: readonly WaitingWorkKind[],
    subjectIds: readonly string[],
  ): Promise<WaitingRow[]> {
    const perKind = await Promise.all(
      kinds.map((kind) => this.tx.query<WaitingRow>(ABOUT_SUBJECTS_SQL[kind], [tenantId, subjectIds])),
    );
    return perKind.flat();
  }
}
