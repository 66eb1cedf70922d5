import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';

/** What the guardrails that are set need to know of a tenant's automatic runs at `now`. */
export interface UsageQuery {
  tenantId: string;
  now: Date;
  agentId: string | null;
  capability: string | null;
  patternId: string;
  /** Count the automatic runs created in the last hour. */
  runsLastHour: boolean;
  /** Look for an active automatic run on the agent and capability. */
  activeRun: boolean;
  /** The cooldown: the last automatic run of the pattern on the agent within it; null: not asked. */
  cooldownMs: number | null;
  /** Sum how long automatic runs ran within the last 24 hours (those begun before them too). */
  budgetUsed: boolean;
  /** Count the runs with a canary step of the pattern on the agent created in the last 24 hours. */
  canaryRuns: boolean;
  /** The canary cooldown: the last run with a canary step of the pattern on the agent within it; null: not asked. */
  canaryCooldownMs: number | null;
  /**
   * Sum how long the tenant's canary steps started in the last 24 hours took: each from its start to
   * the end of its trial (`endedAt` in its output), not the wait for a work order or a person that
   * may follow; a step still trialling counts up to `now`.
   */
  canaryBudgetUsed: boolean;
}

/** Null where the query did not ask for it. */
export interface UsageRow {
  runs_last_hour: number | null;
  active_run_id: string | null;
  last_run_at: Date | null;
  budget_used_ms: string | null;
  canary_runs: number | null;
  last_canary_run_at: Date | null;
  canary_used_ms: string | null;
}

/** The guardrails' reads of the tenant's automatic runs, and of all its canary runs (GuardrailsService). */
@Injectable()
export class GuardrailUsageReadModel {
  constructor(private readonly tx: TransactionHost) {}

  /** One statement; a guardrail that is not set costs nothing (the CASE never runs its subquery). */
  async usage(q: UsageQuery): Promise<UsageRow> {
    // Active: still trying to fix (steps, checks, watch); a run rolling back, even one waiting for a person, holds nothing.
    const [usage] = await this.tx.query<UsageRow>(
      `SELECT
         CASE WHEN $3::boolean THEN (
           SELECT count(*)::int FROM recovery_runs
            WHERE tenant_id = $1 AND automatic AND created_at > $2::timestamptz - interval '1 hour' AND created_at <= $2::timestamptz
         ) END AS runs_last_hour,
         CASE WHEN $4::boolean THEN (
           SELECT id FROM recovery_runs
            WHERE tenant_id = $1 AND automatic AND phase IN ('steps', 'verify', 'watch') AND agent_id = $5 AND capability IS NOT DISTINCT FROM $6::text
            ORDER BY created_at LIMIT 1
         ) END AS active_run_id,
         CASE WHEN $8::bigint IS NOT NULL THEN (
           SELECT max(created_at) FROM recovery_runs
            WHERE tenant_id = $1 AND automatic AND pattern_id = $7::uuid AND agent_id IS NOT DISTINCT FROM $5::text
              AND created_at > $2::timestamptz - $8::bigint * interval '1 millisecond' AND created_at <= $2::timestamptz
         ) END AS last_run_at,
         -- Each run's time within the 24 hours, a run begun before them too: those unfinished, and
         -- those finished within them (idx_recovery_runs_automatic_finished), however long ago begun.
         CASE WHEN $9::boolean THEN (
           SELECT coalesce(sum(greatest(extract(epoch FROM
                    least(coalesce(finished_at, $2::timestamptz), $2::timestamptz)
                    - greatest(coalesce(started_at, created_at), $2::timestamptz - interval '24 hours')), 0)) * 1000, 0)::bigint
             FROM (SELECT created_at, started_at, finished_at FROM recovery_runs
                    WHERE tenant_id = $1 AND automatic AND finished_at IS NULL AND created_at <= $2::timestamptz
                   UNION ALL
                   SELECT created_at, started_at, finished_at FROM recovery_runs
                    WHERE tenant_id = $1 AND automatic AND finished_at > $2::timestamptz - interval '24 hours'
                      AND created_at <= $2::timestamptz) r
         ) END AS budget_used_ms,
         CASE WHEN $10::boolean THEN (
           SELECT count(*)::int FROM recovery_runs r
            WHERE r.tenant_id = $1 AND r.pattern_id = $7::uuid AND r.agent_id IS NOT DISTINCT FROM $5::text
              AND r.created_at > $2::timestamptz - interval '24 hours' AND r.created_at <= $2::timestamptz
              AND EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = r.id AND s.kind = 'canary')
         ) END AS canary_runs,
         CASE WHEN $11::bigint IS NOT NULL THEN (
           SELECT max(r.created_at) FROM recovery_runs r
            WHERE r.tenant_id = $1 AND r.pattern_id = $7::uuid AND r.agent_id IS NOT DISTINCT FROM $5::text
              AND r.created_at > $2::timestamptz - $11::bigint * interval '1 millisecond'
              AND r.created_at <= $2::timestamptz
              AND EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = r.id AND s.kind = 'canary')
         ) END AS last_canary_run_at,
         CASE WHEN $12::boolean THEN (
           SELECT (coalesce(sum(greatest(extract(epoch FROM
                     coalesce((output->>'endedAt')::timestamptz, finished_at, $2::timestamptz) - started_at), 0)),
                            0) * 1000)::bigint
             FROM recovery_run_steps
            WHERE tenant_id = $1 AND kind = 'canary'
              AND started_at > $2::timestamptz - interval '24 hours' AND started_at <= $2::timestamptz
         ) END AS canary_used_ms`,
      [
        q.tenantId,
        q.now,
        q.runsLastHour,
        q.activeRun,
        q.agentId,
        q.capability,
        q.patternId,
        q.cooldownMs,
        q.budgetUsed,
        q.canaryRuns,
        q.canaryCooldownMs,
        q.canaryBudgetUsed,
      ],
    );
    return usage;
  }
}
