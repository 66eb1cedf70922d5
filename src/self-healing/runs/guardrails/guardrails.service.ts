import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { describeWindow, openWindow } from '../../../platform/time/weekly-window.js';
import { formatDuration } from './guardrail-settings.js';
import { GuardrailUsageReadModel } from './guardrail-usage.read-model.js';
import { GuardrailsRepository } from './guardrails.repository.js';

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
    if (!this.tx.inTransaction) throw new Error('GuardrailsService.blockingGuardrail must run in the transaction that creates the run');
    // The settings and the clock are read under the lock.
    const locked = await this.guardrails.lockAndRead(a.tenantId);
    const s = locked.settings;
    const now = a.now ?? locked.now;

    if (s.maintenanceWindows.length > 0 && !openWindow(s.maintenanceWindows, now)) {
      return {
        guardrail: 'maintenance_window',
        reason: `guardrail maintenance_window: no maintenance window is open at ${now.toISOString()} (windows: ${s.maintenanceWindows.map(describeWindow).join('; ')})`,
      };
    }

    const checkActive = s.oneActiveRunPerAgentCapability && a.agentId !== null;
    const cooldown = s.cooldownMs > 0 ? s.cooldownMs : null;
    if (s.maxAutomaticRunsPerHour === null && !checkActive && cooldown === null && s.dailyAutomaticRunBudgetMs === null) return null;

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
    });

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
