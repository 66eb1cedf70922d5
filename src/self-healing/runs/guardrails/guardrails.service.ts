import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { describeWindow, openWindow } from '../../../platform/time/weekly-window.js';
import { formatDuration, type GuardrailSettings } from './guardrail-settings.js';
import { GuardrailUsageReadModel, type UsageRow } from './guardrail-usage.read-model.js';
import { GuardrailsRepository } from './guardrails.repository.js';

export type GuardrailName =
  | 'maintenance_window'
  | 'runs_per_hour'
  | 'one_active_run'
  | 'cooldown'
  | 'daily_budget'
  | 'canary_runs_per_day'
  | 'canary_cooldown'
  | 'canary_budget';

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
  /** The playbook has a canary step: the canary guardrails apply too (DESIGN §13). Default false. */
  canary?: boolean;
  /** Defaults to the database's clock (read once the lock is held). */
  now?: Date;
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
  constructor(
    private readonly tx: TransactionHost,
    private readonly guardrails: GuardrailsRepository,
    private readonly runs: GuardrailUsageReadModel,
  ) {}

  /** The first guardrail, in the order of the settings, that blocks the run; null when none does. */
  async blockingGuardrail(a: GuardrailCheck): Promise<GuardrailBlock | null> {
    if (!this.tx.inTransaction)
      throw new Error('GuardrailsService.blockingGuardrail must run in the transaction that creates the run');
    return (await this.holdingGuardrails(a))[0] ?? null;
  }

  /**
   * Every guardrail that blocks the run now, in the order of the settings (a dry run lists them
   * all, DESIGN §13). Reads only. A decision (`lock`, blockingGuardrail) reads under the tenant's
   * lock; a dry run decides nothing, so it does not wait for, or hold up, the tenant's auto-applies.
   */
  async holdingGuardrails(a: GuardrailCheck, { lock = true }: { lock?: boolean } = {}): Promise<GuardrailBlock[]> {
    const holds: GuardrailBlock[] = [];
    const locked = lock ? await this.guardrails.lockAndRead(a.tenantId) : await this.guardrails.read(a.tenantId);
    const s = locked.settings;
    const now = a.now ?? locked.now;

    if (s.maintenanceWindows.length > 0 && !openWindow(s.maintenanceWindows, now)) {
      holds.push({
        guardrail: 'maintenance_window',
        reason: `guardrail maintenance_window: no maintenance window is open at ${now.toISOString()} (windows: ${s.maintenanceWindows.map(describeWindow).join('; ')})`,
      });
    }

    const checkActive = s.oneActiveRunPerAgentCapability && a.agentId !== null;
    const cooldown = s.cooldownMs > 0 ? s.cooldownMs : null;
    const canary = a.canary ?? false;
    const canaryRuns = canary && s.canaryRunsPer24h !== null;
    const canaryCooldown = canary && s.canaryCooldownMs > 0 ? s.canaryCooldownMs : null;
    const canaryBudget = canary && s.canaryDailyBudgetMs !== null;
    const anyCanary = canaryRuns || canaryCooldown !== null || canaryBudget;
    const anyPlain =
      s.maxAutomaticRunsPerHour !== null || checkActive || cooldown !== null || s.dailyAutomaticRunBudgetMs !== null;
    if (!anyPlain && !anyCanary) return holds;

    const usage = await this.runs.usage({
      tenantId: a.tenantId,
      now,
      agentId: a.agentId,
      capability: a.capability,
      patternId: a.patternId,
      runsLastHour: s.maxAutomaticRunsPerHour !== null,
      activeRun: checkActive,
      cooldownMs: cooldown,
      budgetUsed: s.dailyAutomaticRunBudgetMs !== null,
      canaryRuns,
      canaryCooldownMs: canaryCooldown,
      canaryBudgetUsed: canaryBudget,
    });

    if (s.maxAutomaticRunsPerHour !== null && usage.runs_last_hour! >= s.maxAutomaticRunsPerHour) {
      holds.push({
        guardrail: 'runs_per_hour',
        reason: `guardrail runs_per_hour: ${usage.runs_last_hour} automatic run${usage.runs_last_hour === 1 ? '' : 's'} in the last hour (limit ${s.maxAutomaticRunsPerHour})`,
      });
    }
    if (usage.active_run_id !== null) {
      holds.push({
        guardrail: 'one_active_run',
        reason: `guardrail one_active_run: automatic run ${usage.active_run_id} is still active on agent ${a.agentId}${a.capability === null ? '' : ` (capability ${a.capability})`} (at most 1 at a time)`,
      });
    }
    if (cooldown !== null && usage.last_run_at !== null) {
      const ago = now.getTime() - usage.last_run_at.getTime();
      holds.push({
        guardrail: 'cooldown',
        reason: `guardrail cooldown: the last automatic run of pattern ${a.patternId} on ${a.agentId === null ? 'no agent' : `agent ${a.agentId}`} was created ${formatDuration(ago)} ago (cooldown ${formatDuration(cooldown)}, ${formatDuration(cooldown - ago)} left)`,
      });
    }
    if (s.dailyAutomaticRunBudgetMs !== null) {
      const used = Number(usage.budget_used_ms);
      if (used >= s.dailyAutomaticRunBudgetMs) {
        holds.push({
          guardrail: 'daily_budget',
          reason: `guardrail daily_budget: automatic runs of the last 24 h took ${formatDuration(used)} (${used} ms; budget ${formatDuration(s.dailyAutomaticRunBudgetMs)}, ${s.dailyAutomaticRunBudgetMs} ms)`,
        });
      }
    }
    holds.push(...canaryHolds(a, s, now, usage));
    return holds;
  }
}

/** The canary guardrails that hold the run (DESIGN §13, seed 004's bounds), after the others, for a playbook with a canary step. */
function canaryHolds(a: GuardrailCheck, s: GuardrailSettings, now: Date, usage: UsageRow): GuardrailBlock[] {
  const holds: GuardrailBlock[] = [];
  if (!a.canary) return holds;
  const on = a.agentId === null ? 'no agent' : `agent ${a.agentId}`;
  if (s.canaryRunsPer24h !== null && usage.canary_runs! >= s.canaryRunsPer24h) {
    const n = usage.canary_runs!;
    holds.push({
      guardrail: 'canary_runs_per_day',
      reason:
        `guardrail canary_runs_per_day: ${n} canary run${n === 1 ? '' : 's'} of pattern ${a.patternId} on ${on}` +
        ` in the last 24 h (limit ${s.canaryRunsPer24h})`,
    });
  }
  if (s.canaryCooldownMs > 0 && usage.last_canary_run_at !== null) {
    const ago = now.getTime() - usage.last_canary_run_at.getTime();
    const cooldown = s.canaryCooldownMs;
    holds.push({
      guardrail: 'canary_cooldown',
      reason:
        `guardrail canary_cooldown: the last canary run of pattern ${a.patternId} on ${on} was created` +
        ` ${formatDuration(ago)} ago (cooldown ${formatDuration(cooldown)}, ${formatDuration(cooldown - ago)} left)`,
    });
  }
  if (s.canaryDailyBudgetMs !== null) {
    const used = Number(usage.canary_used_ms);
    if (used >= s.canaryDailyBudgetMs) {
      holds.push({
        guardrail: 'canary_budget',
        reason:
          `guardrail canary_budget: canary steps of the last 24 h took ${used} ms` +
          ` (budget ${s.canaryDailyBudgetMs} ms)`,
      });
    }
  }
  return holds;
}
