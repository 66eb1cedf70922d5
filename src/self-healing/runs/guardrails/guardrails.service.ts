import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { formatDuration, settingsFrom, type GuardrailSettings } from './guardrail-settings.js';
import { describeWindow, openWindow } from '../../../platform/time/weekly-window.js';

export type GuardrailName = 'maintenance_window' | 'runs_per_hour' | 'one_active_run' | 'cooldown' | 'daily_budget';

/** Why an automatic run may not start: the guardrail and a sentence with its numbers. */
export interface GuardrailBlock {
  guardrail: GuardrailName;
  reason: string;
}

export interface GuardrailCheck {
  tenantId: string;
  agentId: string | null;
  capability: string | null;
  patternId: string;
  /** Defaults to the database's clock (read once the lock is held). */
  now?: Date;
}

interface Usage {
  runs_last_hour: number | null;
  active_run_id: string | null;
  last_run_at: Date | null;
  budget_used_ms: string | null;
}

/**
 * Decides whether an automatic recovery run may start now (DESIGN §8). Called inside the
 * transaction that would create the run, before it inserts it: the tenant's advisory lock
 * (held until that transaction ends) makes concurrent auto-applies of one tenant decide one after
 * another, each seeing the runs the ones before it created, so they cannot both pass a limit.
 * The transaction must be READ COMMITTED (the default), so the reads after the lock see what
 * committed while it waited. Only automatic runs of the tenant count.
 */
@Injectable()
export class GuardrailsService {
  constructor(private readonly tx: TransactionHost) {}

  /** The first guardrail, in the order of the settings, that blocks the run; null when none does. */
  async blockingGuardrail(a: GuardrailCheck): Promise<GuardrailBlock | null> {
    if (!this.tx.inTransaction) throw new Error('GuardrailsService.blockingGuardrail must run in the transaction that creates the run');
    // Sent together (one round trip), run in this order: the settings and the clock are read under the lock.
    const [, [row]] = await Promise.all([
      this.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`self-healing:guardrails:${a.tenantId}`]),
      this.tx.query<{ now: Date; settings: Partial<GuardrailSettings> | null }>(
        `SELECT clock_timestamp() AS now, (SELECT settings FROM self_healing_guardrails WHERE tenant_id = $1) AS settings`,
        [a.tenantId],
      ),
    ]);
    const s = settingsFrom(row.settings);
    const now = a.now ?? row.now;

    if (s.maintenanceWindows.length > 0 && !openWindow(s.maintenanceWindows, now)) {
      return {
        guardrail: 'maintenance_window',
        reason: `guardrail maintenance_window: no maintenance window is open at ${now.toISOString()} (windows: ${s.maintenanceWindows.map(describeWindow).join('; ')})`,
      };
    }

    // Active: still trying to fix (steps, checks, watch); a run rolling back, even one waiting for a person, holds nothing.
    const checkActive = s.oneActiveRunPerAgentCapability && a.agentId !== null;
    const cooldown = s.cooldownMs > 0 ? s.cooldownMs : null;
    if (s.maxAutomaticRunsPerHour === null && !checkActive && cooldown === null && s.dailyAutomaticRunBudgetMs === null) return null;

    // One statement; a guardrail that is not set costs nothing (the CASE never runs its subquery).
    const [usage] = await this.tx.query<Usage>(
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
         CASE WHEN $9::boolean THEN (
           SELECT coalesce(sum(greatest(extract(epoch FROM coalesce(finished_at, $2::timestamptz) - coalesce(started_at, created_at)), 0)) * 1000, 0)::bigint
             FROM recovery_runs
            WHERE tenant_id = $1 AND automatic AND created_at > $2::timestamptz - interval '24 hours' AND created_at <= $2::timestamptz
         ) END AS budget_used_ms`,
      [a.tenantId, now, s.maxAutomaticRunsPerHour !== null, checkActive, a.agentId, a.capability, a.patternId, cooldown, s.dailyAutomaticRunBudgetMs !== null],
    );

    if (s.maxAutomaticRunsPerHour !== null && usage.runs_last_hour! >= s.maxAutomaticRunsPerHour) {
      return {
        guardrail: 'runs_per_hour',
        reason: `guardrail runs_per_hour: ${usage.runs_last_hour} automatic run${usage.runs_last_hour === 1 ? '' : 's'} in the last hour (limit ${s.maxAutomaticRunsPerHour})`,
      };
    }
    if (usage.active_run_id !== null) {
      return {
        guardrail: 'one_active_run',
        reason: `guardrail one_active_run: automatic run ${usage.active_run_id} is still active on agent ${a.agentId}${a.capability === null ? '' : ` (capability ${a.capability})`} (at most 1 at a time)`,
      };
    }
    if (cooldown !== null && usage.last_run_at !== null) {
      const ago = now.getTime() - usage.last_run_at.getTime();
      return {
        guardrail: 'cooldown',
        reason: `guardrail cooldown: the last automatic run of pattern ${a.patternId} on ${a.agentId === null ? 'no agent' : `agent ${a.agentId}`} was created ${formatDuration(ago)} ago (cooldown ${formatDuration(cooldown)}, ${formatDuration(cooldown - ago)} left)`,
      };
    }
    if (s.dailyAutomaticRunBudgetMs !== null) {
      const used = Number(usage.budget_used_ms);
      if (used >= s.dailyAutomaticRunBudgetMs) {
        return {
          guardrail: 'daily_budget',
          reason: `guardrail daily_budget: automatic runs of the last 24 h took ${formatDuration(used)} (${used} ms; budget ${formatDuration(s.dailyAutomaticRunBudgetMs)}, ${s.dailyAutomaticRunBudgetMs} ms)`,
        };
      }
    }
    return null;
  }
}
